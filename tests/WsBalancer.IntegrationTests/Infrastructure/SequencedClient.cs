using System.Globalization;
using System.Net;
using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>
/// A client of the balancer that sends numbered text messages (<c>"{n} {payload}"</c>) to an echo backend and checks
/// every echo as it arrives: numbers strictly increasing (no duplicate, no reorder). A valve may prefix the echo with a
/// tag in brackets (<c>"[1.0.0] "</c>). For the stress and soak tests, which hold many of these at once.
/// </summary>
internal sealed class SequencedClient : IAsyncDisposable
{
    // With loss allowed, how long a full window may bring no echo before the sender concludes its messages died with a
    // backend (no event says so) and sends on.
    private static readonly TimeSpan LossQuiet = TimeSpan.FromSeconds(2);

    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _echoed = new(0);
    private readonly List<int> _echoes = [];
    private readonly Lock _gate = new();
    private Task _receiver = Task.CompletedTask;
    private int _sent;
    private volatile int _highestEchoed = -1;
    private volatile bool _closing;

    private SequencedClient(ClientWebSocket socket, string path)
    {
        _socket = socket;
        Path = path;
    }

    /// <summary>The path the client connected on: unique per client, so the backend legs of its session can be told apart.</summary>
    public string Path { get; }

    public int Sent => Volatile.Read(ref _sent);

    /// <summary>The numbers echoed so far, in arrival order.</summary>
    public int[] Echoes
    {
        get
        {
            lock (_gate)
            {
                return [.. _echoes];
            }
        }
    }

    /// <summary>The first echo that broke the order (a duplicate or a number out of order), described; null while none did.</summary>
    public string? Violation { get; private set; }

    /// <summary>The close the balancer sent (code, reason), when it ended the session; null while it has not.</summary>
    public (WebSocketCloseStatus? Code, string? Reason)? ClosedByBalancer { get; private set; }

    public bool IsOpen => _socket.State == WebSocketState.Open && ClosedByBalancer is null;

    /// <summary>Connects; when the balancer refuses the upgrade, returns null and its HTTP status (e.g. 503 while paused).</summary>
    public static async Task<(SequencedClient? Client, HttpStatusCode Status)> ConnectAsync(Uri frontend, string path, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            using var timeout = Timeouts.Linked(cancellationToken);
            await socket.ConnectAsync(new Uri(frontend, path), timeout.Token);
        }
        catch (WebSocketException)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            return (null, status);
        }

        var client = new SequencedClient(socket, path);
        client._receiver = client.ReceiveAsync(cancellationToken);
        return (client, HttpStatusCode.SwitchingProtocols);
    }

    /// <summary>
    /// Sends <paramref name="count"/> more numbered messages, at most <paramref name="window"/> ahead of the highest
    /// echo, then waits until the last of them is echoed. False when the balancer closed the session.
    /// </summary>
    /// <param name="lossAllowed">Do not wait for the last echo: when backends are killed it may be lost inside a dying
    /// backend. The caller settles with <see cref="SettleAsync"/> instead.</param>
    public async Task<bool> ExchangeAsync(int count, Func<string> payload, int window, CancellationToken cancellationToken, bool lossAllowed = false)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        for (var i = 0; i < count; i++)
        {
            while (_sent - _highestEchoed > window)
            {
                if (ClosedByBalancer is not null)
                {
                    return false;
                }

                if (!await _echoed.WaitAsync(lossAllowed ? LossQuiet : Timeout.InfiniteTimeSpan, timeout.Token))
                {
                    break; // the window's messages died with a backend: no echo will come to free it
                }
            }

            var n = _sent;
            try
            {
                await _socket.SendTextAsync($"{n.ToString(CultureInfo.InvariantCulture)} {payload()}", timeout.Token);
            }
            catch (WebSocketException) when (ClosedByBalancer is not null || _receiver.IsCompleted || _socket.State != WebSocketState.Open)
            {
                return false;
            }

            Interlocked.Increment(ref _sent);
        }

        return lossAllowed || await WaitForEchoAsync(_sent - 1, timeout.Token);
    }

    /// <summary>Sends one more numbered message and waits for its echo: everything sent before it that will ever come back has.</summary>
    public async Task<bool> SettleAsync(Func<string> payload, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        return await ExchangeAsync(1, payload, int.MaxValue, cancellationToken) && await WaitForEchoAsync(_sent - 1, timeout.Token);
    }

    /// <summary>Closes normally (1000) and waits for the balancer's answer; returns the close code it answered with.</summary>
    public async Task<WebSocketCloseStatus?> CloseAsync(CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        if (_socket.State == WebSocketState.Open)
        {
            // Marked before the close goes out: its answer can arrive before the socket's state says CloseSent.
            _closing = true;
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (WebSocketException)
            {
            }
        }

        await _receiver.WaitAsync(timeout.Token);
        return _socket.CloseStatus;
    }

    private async Task<bool> WaitForEchoAsync(int n, CancellationToken cancellationToken)
    {
        while (_highestEchoed < n)
        {
            if (ClosedByBalancer is not null || _receiver.IsCompleted)
            {
                return false;
            }

            await _echoed.WaitAsync(cancellationToken);
        }

        return true;
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // No bound of its own: a session may stay quiet for as long as its test likes; the test's token and
                // the client's disposal end this wait.
                var message = await _socket.ReceiveMessageAsync(cancellationToken, Timeout.InfiniteTimeSpan);
                if (message.Type == WebSocketMessageType.Close)
                {
                    if (!_closing && _socket.State == WebSocketState.CloseReceived)
                    {
                        ClosedByBalancer = (message.CloseStatus, message.CloseReason); // not the answer to our own close
                    }

                    return;
                }

                Record(Number(message.Text));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            ClosedByBalancer ??= (null, ex.GetType().Name);
        }
        finally
        {
            _echoed.Release(); // wakes a waiting sender so it sees the end
        }
    }

    private void Record(int n)
    {
        lock (_gate)
        {
            if (Violation is null && n <= _highestEchoed)
            {
                Violation = $"{Path}: echo {n} after {_highestEchoed}";
            }

            _echoes.Add(n);
            _highestEchoed = Math.Max(_highestEchoed, n);
        }

        _echoed.Release();
    }

    /// <summary>The number of an echo, past a valve's tag such as <c>"[2.0.0] "</c>.</summary>
    private static int Number(string text)
    {
        var start = text.StartsWith('[') ? text.IndexOf("] ", StringComparison.Ordinal) + 2 : 0;
        var end = text.IndexOf(' ', start);
        return int.Parse(text.AsSpan(start, (end < 0 ? text.Length : end) - start), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        try
        {
            await _receiver;
        }
        finally
        {
            _socket.Dispose();
            _echoed.Dispose();
        }
    }
}

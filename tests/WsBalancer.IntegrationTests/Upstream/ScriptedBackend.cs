using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WsBalancer.IntegrationTests.Upstream;

/// <summary>
/// A backend that only pretends to be a WebSocket server: a <see cref="TcpListener"/> on 127.0.0.1:0 that reads each
/// upgrade request's head and then runs a test's script on the connection (a scripted, possibly broken reply; a
/// hand-off to <see cref="RawServerConnection"/>; a hang-up). It records every request it read.
/// </summary>
internal sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<ScriptedExchange, CancellationToken, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Arrivals<ScriptedExchange> _exchanges = new();
    private readonly List<Socket> _accepted = [];
    private readonly Task _acceptLoop;

    private ScriptedBackend(Func<ScriptedExchange, CancellationToken, Task> script)
    {
        _script = script;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = LoopbackAccept.RunAsync(_listener, HandleAsync, _stop.Token, Track);
    }

    public Uri Url => new($"ws://127.0.0.1:{Port}");

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every connection whose request head was read, in order.</summary>
    public IReadOnlyList<ScriptedExchange> Exchanges => _exchanges.Snapshot();

    /// <summary>Starts a backend that runs <paramref name="script"/> on every connection once its request head is read.</summary>
    public static ScriptedBackend Start(Func<ScriptedExchange, CancellationToken, Task> script) => new(script);

    /// <summary>Waits (bounded) for the connection with this index to have sent its request head.</summary>
    public Task<ScriptedExchange> WaitForExchangeAsync(int index, CancellationToken cancellationToken) =>
        _exchanges.WaitForAsync(index, cancellationToken);

    private void Track(TcpClient tcp)
    {
        lock (_gate)
        {
            _accepted.Add(tcp.Client);
        }
    }

    private async Task HandleAsync(TcpClient tcp)
    {
        using (tcp)
        {
            try
            {
                tcp.NoDelay = true;
                var stream = tcp.GetStream();
                var request = await RawWebSocketProtocol.ReadHeadAsync(stream, _stop.Token);
                var exchange = new ScriptedExchange(request, stream);
                _exchanges.Add(exchange);

                await _script(exchange, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidDataException)
            {
                // The balancer hung up (as it should after a reply it refuses), or the backend is stopping.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_gate)
        {
            foreach (var socket in _accepted)
            {
                socket.Close(0); // a no-op for a socket its handler already closed
            }
        }

        // Every handler observes the cancellation or its closed socket; bounded in case one does not.
        await _acceptLoop.WaitAsync(Timeouts.Default);
        _stop.Dispose();
    }
}

/// <summary>One connection to a <see cref="ScriptedBackend"/>: the request the balancer sent and the stream to answer on.</summary>
internal sealed class ScriptedExchange
{
    private readonly TaskCompletionSource _hungUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedExchange(RawHttpHead request, NetworkStream stream)
    {
        Request = request;
        Stream = stream;
    }

    /// <summary>The upgrade request head exactly as the balancer sent it (duplicate fields kept).</summary>
    public RawHttpHead Request { get; }

    public NetworkStream Stream { get; }

    /// <summary>The request target (path and query).</summary>
    public string Target => Request.StartLine.Split(' ')[1];

    /// <summary>The Sec-WebSocket-Accept a correct backend answers with.</summary>
    public string Accept => RawWebSocketProtocol.AcceptFor(Request.Value("Sec-WebSocket-Key") ?? throw new InvalidDataException("no Sec-WebSocket-Key"));

    /// <summary>
    /// Completes when the balancer closed (or reset) its end of the connection, as seen by <see cref="HoldUntilHungUpAsync"/>.
    /// Never completes for scripts that do not read to the end.
    /// </summary>
    public Task BalancerHungUp => _hungUp.Task;

    /// <summary>Writes <paramref name="text"/> (Latin-1) in one write.</summary>
    public Task WriteAsync(string text, CancellationToken cancellationToken) => WriteAsync(Encoding.Latin1.GetBytes(text), cancellationToken);

    /// <summary>Writes <paramref name="bytes"/> in one write.</summary>
    public async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await Stream.WriteAsync(bytes, cancellationToken);
        await Stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads and discards whatever the balancer sends until it closes the connection.</summary>
    public async Task HoldUntilHungUpAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while (await Stream.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        catch (IOException)
        {
            // A reset is a hang-up too.
        }

        _hungUp.TrySetResult();
    }
}

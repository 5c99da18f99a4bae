using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>
/// A WebSocket backend written by hand over a <see cref="TcpListener"/> on 127.0.0.1:0, for what Kestrel hides: it
/// records every frame the balancer sends, control frames included (opcode, FIN, mask). It answers pings with pongs
/// and closes with closes, and echoes data frames unless <see cref="Echo"/> is false.
/// </summary>
public sealed class RawWebSocketServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Arrivals<RawServerConnection> _connections = new();
    private readonly Task _acceptLoop;

    private RawWebSocketServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = LoopbackAccept.RunAsync(_listener, HandleAsync, _stop.Token);
    }

    public Uri Url => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>When false, data frames are recorded but not echoed.</summary>
    public bool Echo { get; set; } = true;

    public IReadOnlyList<RawServerConnection> Connections => _connections.Snapshot();

    public static RawWebSocketServer Start() => new();

    /// <summary>Waits (bounded) for the connection with this index to complete its handshake.</summary>
    public Task<RawServerConnection> WaitForConnectionAsync(int index, CancellationToken cancellationToken) =>
        _connections.WaitForAsync(index, cancellationToken);

    private async Task HandleAsync(TcpClient tcp)
    {
        using (tcp)
        {
            try
            {
                tcp.NoDelay = true;
                var stream = tcp.GetStream();
                var request = await RawWebSocketProtocol.ReadHeadAsync(stream, _stop.Token);
                var key = request.Value("Sec-WebSocket-Key") ?? throw new InvalidDataException("no Sec-WebSocket-Key");
                var response = "HTTP/1.1 101 Switching Protocols\r\n"
                    + "Upgrade: websocket\r\n"
                    + "Connection: Upgrade\r\n"
                    + $"Sec-WebSocket-Accept: {RawWebSocketProtocol.AcceptFor(key)}\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);

                var connection = new RawServerConnection(request, stream, () => Echo);
                _connections.Add(connection);

                await connection.RunAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidDataException)
            {
                // The balancer dropped the connection, or the server is stopping: both end this handler.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var connection in Connections)
        {
            connection.Abort();
        }

        // Every handler observes the cancellation or its closed socket; bounded in case one does not.
        await _acceptLoop.WaitAsync(Timeouts.Default);
        _stop.Dispose();
    }
}

/// <summary>One connection accepted by a <see cref="RawWebSocketServer"/>: its handshake and every frame it received.</summary>
public sealed class RawServerConnection
{
    private readonly NetworkStream _stream;
    private readonly Func<bool> _echo;
    private readonly Lock _gate = new();
    private readonly List<RawFrame> _frames = [];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closeSent;

    internal RawServerConnection(RawHttpHead request, NetworkStream stream, Func<bool> echo)
    {
        Request = request;
        _stream = stream;
        _echo = echo;
        Target = request.StartLine.Split(' ')[1];
    }

    /// <summary>The upgrade request head as the balancer sent it.</summary>
    public RawHttpHead Request { get; }

    /// <summary>The request target (path and query).</summary>
    public string Target { get; }

    /// <summary>Every frame received, control frames included, in arrival order.</summary>
    public IReadOnlyList<RawFrame> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>Completes when the connection is over (close handshake done, TCP closed or server stopped).</summary>
    public Task Ended => _ended.Task;

    /// <summary>Waits (bounded) until the frames received so far satisfy <paramref name="condition"/>; returns them.</summary>
    public async Task<IReadOnlyList<RawFrame>> WaitForFramesAsync(Func<IReadOnlyList<RawFrame>, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_frames))
                {
                    return [.. _frames];
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(timeout.Token);
        }
    }

    /// <summary>Sends a text frame to the balancer (unmasked, as a server must).</summary>
    public Task SendTextAsync(string text, CancellationToken cancellationToken) =>
        SendFrameAsync(RawOpcode.Text, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Sends one unmasked frame to the balancer (bounded).</summary>
    public async Task SendFrameAsync(RawOpcode opcode, byte[] payload, CancellationToken cancellationToken, bool fin = true)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        await SendAsync(opcode, payload, fin, timeout.Token);
    }

    internal void Abort() => _stream.Socket.Close(0);

    internal async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var frame = await RawWebSocketProtocol.ReadFrameAsync(_stream, cancellationToken);
                lock (_gate)
                {
                    _frames.Add(frame);
                    _changed.TrySetResult();
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                switch (frame.Opcode)
                {
                    case RawOpcode.Ping:
                        // RFC 6455 §5.5.3: the pong carries the ping's payload.
                        await SendAsync(RawOpcode.Pong, frame.Payload, fin: true, cancellationToken);
                        break;
                    case RawOpcode.Close:
                        // §5.5.1: answer with a close (echoing its status), then the server closes TCP.
                        await SendAsync(RawOpcode.Close, frame.Payload.Length >= 2 ? frame.Payload[..2] : [], fin: true, cancellationToken);
                        return;
                    case RawOpcode.Text or RawOpcode.Binary or RawOpcode.Continuation when _echo():
                        await SendAsync(frame.Opcode, frame.Payload, frame.Fin, cancellationToken);
                        break;
                }
            }
        }
        finally
        {
            _ended.TrySetResult();
        }
    }

    private async Task SendAsync(RawOpcode opcode, byte[] payload, bool fin, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_closeSent)
            {
                return;
            }

            _closeSent = opcode == RawOpcode.Close;
            await RawWebSocketProtocol.WriteFrameAsync(_stream, opcode, payload, fin, mask: false, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}

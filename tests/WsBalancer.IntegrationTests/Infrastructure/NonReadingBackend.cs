using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>
/// A WebSocket backend that completes the handshake and then never reads again: its socket's receive window fills,
/// and the balancer's writes to it stop completing. Its receive buffer is kept small so the window fills early.
/// </summary>
public sealed class NonReadingBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Arrivals<TcpClient> _connections = new();
    private readonly List<TcpClient> _held = [];
    private readonly Lock _gate = new();
    private readonly Task _acceptLoop;

    private NonReadingBackend()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Server.ReceiveBufferSize = 64 * 1024; // inherited by accepted sockets
        _listener.Start();
        _acceptLoop = LoopbackAccept.RunAsync(_listener, HandleAsync, _stop.Token, tcp =>
        {
            lock (_gate)
            {
                _held.Add(tcp);
            }
        });
    }

    public string Name => "silent";

    public Uri Url => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public static NonReadingBackend Start() => new();

    /// <summary>Waits (bounded) for the connection with this index to complete its handshake.</summary>
    public Task<TcpClient> WaitForConnectionAsync(int index, CancellationToken cancellationToken) =>
        _connections.WaitForAsync(index, cancellationToken);

    private async Task HandleAsync(TcpClient tcp)
    {
        try
        {
            var stream = tcp.GetStream();
            var request = await RawWebSocketProtocol.ReadHeadAsync(stream, _stop.Token);
            var key = request.Value("Sec-WebSocket-Key") ?? throw new InvalidDataException("no Sec-WebSocket-Key");
            var response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Accept: {RawWebSocketProtocol.AcceptFor(key)}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
            _connections.Add(tcp); // from here on nothing is read; the socket is closed at dispose
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidDataException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_gate)
        {
            foreach (var tcp in _held)
            {
                tcp.Dispose();
            }
        }

        await _acceptLoop.WaitAsync(Timeouts.Default);
        _stop.Dispose();
    }
}

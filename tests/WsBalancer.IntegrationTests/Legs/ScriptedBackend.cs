using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace WsBalancer.IntegrationTests.Legs;

/// <summary>
/// A hand-written backend on 127.0.0.1:0 that answers every upgrade request with bytes the test scripts (from the
/// request's Sec-WebSocket-Key), all in one write, and then keeps the connection open until the dialer drops it or
/// the server is disposed. A null reply sends nothing at all (a backend that hangs).
/// </summary>
internal sealed class ScriptedBackend : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string, byte[]?> _reply;
    private readonly bool _closeAfterReply;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<TcpClient> _accepted = new();
    private readonly Task _acceptLoop;

    public ScriptedBackend(Func<string, byte[]?> reply, bool closeAfterReply = false)
    {
        _reply = reply;
        _closeAfterReply = closeAfterReply;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = LoopbackAccept.RunAsync(_listener, HandleAsync, _stop.Token, _accepted.Enqueue);
    }

    public Uri Url => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/scripted");

    private async Task HandleAsync(TcpClient tcp)
    {
        using (tcp)
        {
            try
            {
                tcp.NoDelay = true;
                var stream = tcp.GetStream();
                var request = await RawWebSocketProtocol.ReadHeadAsync(stream, _stop.Token);
                if (_reply(request.Value("Sec-WebSocket-Key") ?? "") is { } reply)
                {
                    await stream.WriteAsync(reply, _stop.Token);
                }

                if (_closeAfterReply)
                {
                    return;
                }

                // Hold the connection until the dialer drops it or the server stops.
                var sink = new byte[1024];
                while (await stream.ReadAsync(sink, _stop.Token) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
            {
                // The dialer dropped the connection, or the server is stopping.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var tcp in _accepted)
        {
            tcp.Close();
        }

        await _acceptLoop.WaitAsync(Timeouts.Default);
        _stop.Dispose();
    }
}

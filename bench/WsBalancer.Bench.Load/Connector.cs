using System.Net;
using System.Net.WebSockets;

namespace WsBalancer.Bench.Load;

/// <summary>Opens client WebSockets to the one URL under test, never through a proxy, without keep-alive pings.</summary>
internal sealed class Connector : IDisposable
{
    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.Zero,
    });

    public Connector(Uri url)
    {
        if (url.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"--url must be ws:// or wss://, got '{url}'");
        }

        if (!url.IsLoopback)
        {
            throw new ArgumentException($"--url must point at loopback (this is a load generator), got '{url.Host}'");
        }

        Url = url;
    }

    public Uri Url { get; }

    public async Task<ClientWebSocket> ConnectAsync(string? pathSuffix, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.HttpVersion = HttpVersion.Version11;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        var target = pathSuffix is null ? Url : new Uri(Url, pathSuffix);
        try
        {
            await socket.ConnectAsync(target, _invoker, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Closes politely within <paramref name="timeout"/>, then aborts whatever is left.</summary>
    public static async Task CloseAllAsync(IReadOnlyList<WebSocket?> sockets, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await Parallel.ForEachAsync(sockets, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (socket, _) =>
        {
            if (socket is null)
            {
                return;
            }

            try
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
            }
            finally
            {
                socket.Abort();
                socket.Dispose();
            }
        });
    }

    public void Dispose() => _invoker.Dispose();
}

using System.Net.Sockets;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>The accept loop of the hand-written test servers: one handler per connection until the listener stops.</summary>
public static class LoopbackAccept
{
    /// <summary>Accepts until <paramref name="stop"/> or the listener ends, then waits for every handler.</summary>
    /// <param name="onAccepted">Sees each connection before its handler starts (e.g. to close it at dispose).</param>
    public static async Task RunAsync(TcpListener listener, Func<TcpClient, Task> handle, CancellationToken stop, Action<TcpClient>? onAccepted = null)
    {
        var handlers = new List<Task>();
        try
        {
            while (true)
            {
                var tcp = await listener.AcceptTcpClientAsync(stop);
                onAccepted?.Invoke(tcp);
                handlers.Add(handle(tcp));
            }
        }
        // The listener was stopped: the server is being disposed. A stopped listener asked for the next connection
        // says "not listening" instead when the stop came between two accepts.
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException
            || (ex is InvalidOperationException && stop.IsCancellationRequested))
        {
        }

        await Task.WhenAll(handlers);
    }
}

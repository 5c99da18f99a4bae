using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Frontend;

/// <summary>
/// TCP keepalive on every client connection (<see cref="ServerSettings.TcpKeepAlive"/>). A client whose host or network
/// path died sends neither FIN nor RST: without probes its session would wait for the idle timeout (when set), for a
/// write to time out, or for the kernel to give up retransmitting the next keep-alive frame (about 15 minutes on Linux).
/// </summary>
internal static class ClientKeepAlive
{
    /// <summary>Adds the connection middleware that sets the options on each accepted socket, before TLS and HTTP.</summary>
    public static void Use(ListenOptions listen, TimeSpan idle)
    {
        if (idle <= TimeSpan.Zero)
        {
            return;
        }

        var idleSeconds = (int)Math.Clamp(Math.Ceiling(idle.TotalSeconds), 1, int.MaxValue);
        var intervalSeconds = Math.Max(1, idleSeconds / ServerSettings.KeepAliveProbes);
        listen.Use(next => connection =>
        {
            // Kestrel's socket transport offers the socket; another transport (none is configured) would not.
            if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
            {
                Set(socket, idleSeconds, intervalSeconds);
            }

            return next(connection);
        });
    }

    private static void Set(Socket socket, int idleSeconds, int intervalSeconds)
    {
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, idleSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, intervalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, ServerSettings.KeepAliveProbes);
        }
        catch (SocketException)
        {
            // The client reset the connection between accept and here: there is nothing to keep alive.
        }
    }
}

using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Hosting;

/// <summary>Binds a Kestrel server to one configured listener and reports where it actually listens.</summary>
internal static class Listeners
{
    public static void Configure(KestrelServerOptions kestrel, ListenerSettings listener)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestHeadersTotalSize = listener.MaxHeaderBytes;
        kestrel.Limits.RequestHeadersTimeout = listener.ReadTimeout;
        foreach (var address in listener.Address.ResolveBindAddresses())
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                kestrel.ListenAnyIP(listener.Address.Port); // dual mode, with an IPv4 fallback where IPv6 is off
            }
            else
            {
                kestrel.Listen(address, listener.Address.Port);
            }
        }
    }

    /// <summary>The first bound address as a URI a local client can connect to ([::] and 0.0.0.0 become loopback).</summary>
    public static Uri BoundUri(IServer server, string scheme)
    {
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no bound address.");
        var uri = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        return new UriBuilder(uri) { Scheme = scheme, Host = uri.Host == "localhost" ? "127.0.0.1" : uri.Host }.Uri;
    }
}

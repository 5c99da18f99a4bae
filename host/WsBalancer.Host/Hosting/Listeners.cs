using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Hosting;

/// <summary>Binds a Kestrel server to one configured listener and reports where it actually listens.</summary>
internal static class Listeners
{
    /// <summary>TLS 1.2 at the least: older versions have known weaknesses and no client needs them.</summary>
    public const SslProtocols TlsProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <param name="certificates">
    /// The listener's certificate, asked for at each TLS handshake when <see cref="ListenerSettings.Tls"/> is set (so
    /// a listener configured for TLS never serves plain text, whenever Kestrel reads these options).
    /// </param>
    /// <param name="connections">Connection middleware for each address, added before TLS (the frontend's TCP keepalive).</param>
    public static void Configure(KestrelServerOptions kestrel, ListenerSettings listener, Func<CertificateReloader> certificates, Action<ListenOptions>? connections = null)
    {
        var tls = listener.Tls is not null;
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestHeadersTotalSize = listener.MaxHeaderBytes;
        kestrel.Limits.RequestHeadersTimeout = listener.ReadTimeout;
        // Also the wait for a request's first byte (a new connection, or one between two requests), as the ancestor's Go
        // server did (its IdleTimeout defaults to ReadTimeout): otherwise a client that connects and sends nothing, or
        // only empty lines, holds its connection for Kestrel's 130 s default.
        kestrel.Limits.KeepAliveTimeout = listener.ReadTimeout;
        foreach (var address in listener.Address.ResolveBindAddresses())
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                // Dual mode, with an IPv4 fallback where IPv6 is off.
                kestrel.ListenAnyIP(listener.Address.Port, options =>
                {
                    connections?.Invoke(options);
                    UseTls(options, tls, certificates);
                });
            }
            else
            {
                kestrel.Listen(address, listener.Address.Port, options =>
                {
                    connections?.Invoke(options);
                    UseTls(options, tls, certificates);
                });
            }
        }
    }

    /// <summary>The scheme a client uses for this listener: <paramref name="plain"/> (ws, http) or its TLS form (wss, https).</summary>
    public static string Scheme(ListenerSettings listener, string plain) =>
        listener.Tls is null ? plain : plain == "ws" ? "wss" : "https";

    // Each handshake asks the reloader for the certificate of the moment, so a renewal reaches new connections at once
    // and live ones keep theirs. The context, not a bare certificate (as a ServerCertificateSelector would return),
    // so that the intermediates of the files are sent: a client that knows only the root can then build the chain.
    private static void UseTls(ListenOptions options, bool tls, Func<CertificateReloader> certificates)
    {
        if (!tls)
        {
            return;
        }

        options.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificates().Current.Context,
                EnabledSslProtocols = TlsProtocols,
            }),
        });
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

using System.Net;
using Microsoft.AspNetCore.Http;
using WsBalancer.Host.Configuration;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Frontend;

/// <summary>Builds the headers a backend sees from the client's handshake, by the ancestor's rules.</summary>
internal sealed class UpstreamHeaders
{
    // Hop-by-hop (RFC 9110 §7.6.1) and per-leg handshake headers: each leg negotiates its own key, version and
    // extensions, so copying the client's permessage-deflate offer would make backends refuse (the ancestor's 502).
    private static readonly string[] AlwaysDropped =
    [
        "Connection", "Upgrade", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding",
        "Host", "Content-Length", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Accept",
    ];

    private readonly HashSet<string> _dropped;
    private readonly bool _trustReceivedXff;

    public UpstreamHeaders(ServerSettings settings)
    {
        _dropped = new HashSet<string>(AlwaysDropped, StringComparer.OrdinalIgnoreCase);
        _dropped.UnionWith(settings.BlockHeaders);
        // A client must never pass itself off as a balancer reconnect.
        _dropped.Add(settings.ReconnectHeader);
        _trustReceivedXff = settings.TrustReceivedXff;
    }

    public Dictionary<string, string[]> Build(IHeaderDictionary request, IPAddress? peer)
    {
        var headers = new Dictionary<string, string[]>(request.Count + 1, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request)
        {
            if (!_dropped.Contains(name))
            {
                headers[name] = values.ToArray()!;
            }
        }

        var peerAddress = peer is null ? "unknown" : (peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer).ToString();
        var received = request[WsHeaders.ForwardedFor].ToString();
        headers[WsHeaders.ForwardedFor] = [_trustReceivedXff && received.Length > 0 ? $"{received}, {peerAddress}" : peerAddress];
        return headers;
    }
}

using System.Net.Http.Headers;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>
/// The session's <see cref="BackendDialContext.DestHeaders"/> as they go on every request of a connection: checked
/// once at dial, so a message's POST only copies names and values already known to be accepted.
/// </summary>
internal sealed class ForwardedHeaders
{
    // The WebSocket handshake's own fields mean nothing to a REST backend, and the framing fields are HttpClient's.
    // Accept-Encoding too: a browser offers gzip in its handshake, and the body would reach the client still compressed.
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        WsHeaders.Subprotocol, "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Accept", "Sec-WebSocket-Extensions",
        "Host", "Connection", "Upgrade", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding",
        "Content-Length", "Expect", "Accept-Encoding",
    };

    private readonly KeyValuePair<string, string[]>[] _headers;

    private ForwardedHeaders(KeyValuePair<string, string[]>[] headers, List<string> skipped)
    {
        _headers = headers;
        Skipped = skipped;
    }

    /// <summary>Names left out because HttpClient refuses them (content headers, invalid names, control characters).</summary>
    public IReadOnlyList<string> Skipped { get; }

    public static ForwardedHeaders From(IReadOnlyDictionary<string, string[]> destHeaders)
    {
        var accepted = new List<KeyValuePair<string, string[]>>(destHeaders.Count);
        var skipped = new List<string>();
        using var probe = new HttpRequestMessage();
        foreach (var (name, values) in destHeaders)
        {
            if (Reserved.Contains(name))
            {
                continue;
            }

            // TryAddWithoutValidation refuses invalid names and content headers (Content-Type, …) but lets CR and LF
            // through, which SocketsHttpHandler would only reject when sending: every request of the session would fail.
            if (!HasNoControls(values) || !probe.Headers.TryAddWithoutValidation(name, values))
            {
                skipped.Add(name);
                continue;
            }

            accepted.Add(new(name, values));
        }

        return new ForwardedHeaders([.. accepted], skipped);
    }

    public void CopyTo(HttpRequestHeaders headers)
    {
        foreach (var (name, values) in _headers)
        {
            headers.TryAddWithoutValidation(name, values);
        }
    }

    private static bool HasNoControls(string[] values)
    {
        foreach (var value in values)
        {
            foreach (var c in value)
            {
                if ((c < 0x20 && c != '\t') || c == 0x7F)
                {
                    return false;
                }
            }
        }

        return true;
    }
}

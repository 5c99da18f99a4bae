using System.Security.Cryptography;
using System.Text;
using WsBalancer.Host.Http;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Upstream.Handshake;

/// <summary>
/// The opening handshake a backend receives (RFC 6455 §4.1): the request line, our own Host and upgrade fields,
/// the subprotocols offered, then the session's forwarded headers. Nothing a client sent can replace or repeat
/// one of our fields, and a field with a control character (header injection) is left out and reported.
/// </summary>
internal sealed class HandshakeRequest
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    // Written by this class only: a forwarded copy would duplicate or contradict ours.
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Accept",
        "Sec-WebSocket-Extensions", WsHeaders.Subprotocol, "Content-Length", "Transfer-Encoding",
    };

    private HandshakeRequest(byte[] bytes, string expectedAccept, IReadOnlyList<string> subprotocols, IReadOnlyList<string> skipped)
    {
        Bytes = bytes;
        ExpectedAccept = expectedAccept;
        Subprotocols = subprotocols;
        SkippedHeaders = skipped;
    }

    public byte[] Bytes { get; }

    /// <summary>The Sec-WebSocket-Accept value the backend must answer with.</summary>
    public string ExpectedAccept { get; }

    public IReadOnlyList<string> Subprotocols { get; }

    /// <summary>Forwarded header names left out because their name or value cannot go on the wire as is.</summary>
    public IReadOnlyList<string> SkippedHeaders { get; }

    public static HandshakeRequest Build(Uri url, IReadOnlyDictionary<string, string[]> headers)
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        var key = Convert.ToBase64String(nonce);
        var subprotocols = new List<string>();
        var skipped = new List<string>();

        var text = new StringBuilder(256);
        text.Append("GET ").Append(url.PathAndQuery).Append(" HTTP/1.1\r\n");
        text.Append("Host: ").Append(HostField(url)).Append("\r\n");
        text.Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n");
        text.Append("Sec-WebSocket-Key: ").Append(key).Append("\r\n");
        foreach (var (name, values) in headers)
        {
            if (name.Equals(WsHeaders.Subprotocol, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var value in values)
                {
                    foreach (var protocol in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!HttpSyntax.IsToken(protocol))
                        {
                            throw new ArgumentException($"subprotocol '{protocol}' is not a valid token", nameof(headers));
                        }

                        if (subprotocols.Contains(protocol, StringComparer.OrdinalIgnoreCase))
                        {
                            // RFC 6455 §4.1: the offered values must be unique.
                            throw new ArgumentException($"subprotocol '{protocol}' is offered twice", nameof(headers));
                        }

                        subprotocols.Add(protocol);
                    }
                }

                continue;
            }

            if (Reserved.Contains(name))
            {
                continue;
            }

            if (!HttpSyntax.IsToken(name) || !values.All(HttpSyntax.HasNoControls))
            {
                skipped.Add(name);
                continue;
            }

            text.Append(name).Append(": ").AppendJoin(", ", values).Append("\r\n");
        }

        if (subprotocols.Count > 0)
        {
            text.Append(WsHeaders.Subprotocol).Append(": ").AppendJoin(", ", subprotocols).Append("\r\n");
        }

        text.Append("\r\n");
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
        // UTF-8: Kestrel hands the frontend header values decoded from UTF-8, so this gives the backend the
        // client's own bytes (ASCII, the usual case, is unchanged).
        return new HandshakeRequest(Encoding.UTF8.GetBytes(text.ToString()), accept, subprotocols, skipped);
    }

    /// <summary>Host with the port when it is not the scheme's default; IPv6 literals keep their brackets.</summary>
    private static string HostField(Uri url)
    {
        var host = url.HostNameType == UriHostNameType.IPv6 ? url.Host : url.IdnHost;
        return url.IsDefaultPort ? host : $"{host}:{url.Port}";
    }
}

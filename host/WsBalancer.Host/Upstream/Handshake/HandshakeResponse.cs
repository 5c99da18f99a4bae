using System.Text;

namespace WsBalancer.Host.Upstream.Handshake;

/// <summary>
/// The status line and header fields of a backend's reply to an upgrade request (RFC 9112 §4, §5), parsed from
/// the bytes up to and including the empty line.
/// </summary>
internal sealed class HandshakeResponse
{
    private HandshakeResponse(int statusCode, List<KeyValuePair<string, string>> headers)
    {
        StatusCode = statusCode;
        Headers = headers;
    }

    public int StatusCode { get; }

    /// <summary>Header fields in the order received; names keep the backend's spelling.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>
    /// Finds the end of the header block (after "\r\n\r\n"); -1 while more bytes are needed.
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> received)
    {
        var at = received.IndexOf("\r\n\r\n"u8);
        return at < 0 ? -1 : at + 4;
    }

    /// <summary>Parses a complete header block (as delimited by <see cref="FindEnd"/>).</summary>
    /// <exception cref="HandshakeException">The bytes are not an HTTP/1.1 response head.</exception>
    public static HandshakeResponse Parse(ReadOnlySpan<byte> head)
    {
        // Field values are octets; Latin-1 maps each to one char, so nothing is lost or rejected here.
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var status = ParseStatusLine(lines[0]);
        var headers = new List<KeyValuePair<string, string>>(lines.Length);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon <= 0 || line[0] is ' ' or '\t' || line.AsSpan(0, colon).ContainsAny(' ', '\t'))
            {
                // Obsolete line folding and whitespace before the colon are refused by RFC 9112 §5.1–5.2.
                throw new HandshakeException(status, $"malformed header line in the backend's handshake reply: '{Shorten(line)}'");
            }

            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        return new HandshakeResponse(status, headers);
    }

    /// <summary>The values of every field named <paramref name="name"/>, joined with ", " (RFC 9110 §5.3); null when absent.</summary>
    public string? Get(string name)
    {
        string? joined = null;
        foreach (var (key, value) in Headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                joined = joined is null ? value : $"{joined}, {value}";
            }
        }

        return joined;
    }

    /// <summary>True when a comma-separated field contains <paramref name="token"/> (case-insensitive).</summary>
    public bool HasToken(string name, string token)
    {
        var value = Get(name);
        if (value is null)
        {
            return false;
        }

        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static int ParseStatusLine(string line)
    {
        // "HTTP/1.1 101 Switching Protocols": version, a space, three digits, then an optional reason.
        if (line.Length >= 12 && line.StartsWith("HTTP/1.", StringComparison.Ordinal) && line[8] == ' '
            && int.TryParse(line.AsSpan(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
            && (line.Length == 12 || line[12] == ' '))
        {
            return status;
        }

        throw new HandshakeException(0, $"the backend did not answer with an HTTP/1.1 status line: '{Shorten(line)}'");
    }

    private static string Shorten(string line) => line.Length <= 80 ? line : line[..80] + "…";
}

namespace WsBalancer.Host.Http;

/// <summary>Character rules of HTTP/1.1 header fields (RFC 9110 §5).</summary>
internal static class HttpSyntax
{
    private const string TokenSymbols = "!#$%&'*+-.^_`|~";

    /// <summary>A non-empty token (§5.6.2): the form of field names and of WebSocket subprotocols.</summary>
    public static bool IsToken(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || TokenSymbols.Contains(c)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>No control character but tab (§5.5): CR, LF and NUL would split or cut the header on the wire.</summary>
    public static bool HasNoControls(string value)
    {
        foreach (var c in value)
        {
            if ((c < 0x20 && c != '\t') || c == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Visible ASCII, spaces and tabs only: what Kestrel writes in a response by default.</summary>
    public static bool IsAsciiFieldValue(string value)
    {
        foreach (var c in value)
        {
            if ((c < 0x20 && c != '\t') || c > 0x7E)
            {
                return false;
            }
        }

        return true;
    }
}

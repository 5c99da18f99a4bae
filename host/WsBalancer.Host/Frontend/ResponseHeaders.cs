using WsBalancer.Host.Http;

namespace WsBalancer.Host.Frontend;

/// <summary>Which header fields Kestrel writes in a response without throwing.</summary>
internal static class ResponseHeaders
{
    /// <summary>A token name and values of visible ASCII: Kestrel refuses control characters and, by default, anything beyond ASCII.</summary>
    public static bool CanWrite(string name, string[] values) => HttpSyntax.IsToken(name) && values.All(HttpSyntax.IsAsciiFieldValue);
}

namespace WsBalancer.Host.Configuration;

/// <summary>An HTTP token (RFC 9110 section 5.6.2), the syntax of a header field name.</summary>
internal static class HttpToken
{
    public const string Expected = "an HTTP header name: letters, digits and !#$%&'*+-.^_`|~";

    public static bool IsValid(string? text) =>
        !string.IsNullOrEmpty(text) && text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));
}

using System.Text.RegularExpressions;

namespace WsBalancer.Host.Configuration;

/// <summary>The ancestor's default backend id (its <c>NormalizeForID</c>): the URL's host and port with every other character made '-'.</summary>
internal static partial class BackendId
{
    /// <summary><c>ws://localhost:9090</c> → <c>localhost-9090</c>; <c>ws://10.0.0.1:80/x</c> → <c>10-0-0-1-80</c>.</summary>
    public static string FromUrl(string url)
    {
        var match = HostPort().Match(url);
        return NonAlphanumeric().Replace(match.Success ? match.Groups[1].Value : url, "-");
    }

    /// <summary>What an explicit id may be: it appears in admin URLs (<c>/backend/delete/{id}</c>), so only RFC 3986
    /// unreserved characters, at most 128 of them, and never a dot segment.</summary>
    public const string Expected = "a backend id of at most 128 letters, digits, '-', '_', '.' or '~' (it is used in admin URLs), not '.' or '..'";

    public static bool IsValid(string id) => id.Length is > 0 and <= 128 && id is not ("." or "..") && ValidId().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9._~-]+$")]
    private static partial Regex ValidId();

    [GeneratedRegex(@"://((.+?)(:\d+)?)(/|$)")]
    private static partial Regex HostPort();

    [GeneratedRegex("[^0-9a-zA-Z]")]
    private static partial Regex NonAlphanumeric();
}

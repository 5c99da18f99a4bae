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

    [GeneratedRegex(@"://((.+?)(:\d+)?)(/|$)")]
    private static partial Regex HostPort();

    [GeneratedRegex("[^0-9a-zA-Z]")]
    private static partial Regex NonAlphanumeric();
}

using System.Text.RegularExpressions;

namespace WsBalancer.Host.Upstream;

/// <summary>Default backend ids, derived from the URL exactly as the ancestor did, so existing scripts find the same ids.</summary>
internal static partial class BackendIds
{
    /// <summary><c>ws://localhost:9090/x</c> → <c>localhost-9090</c>: the authority with every non-alphanumeric character turned into '-'.</summary>
    public static string FromUrl(string url)
    {
        var match = Authority().Match(url);
        var source = match.Success ? match.Groups[1].Value : url;
        return NonAlphanumeric().Replace(source, "-");
    }

    [GeneratedRegex(@"://((.+?)(:\d+)?)(/|$)")]
    private static partial Regex Authority();

    [GeneratedRegex("[^0-9a-zA-Z]")]
    private static partial Regex NonAlphanumeric();
}

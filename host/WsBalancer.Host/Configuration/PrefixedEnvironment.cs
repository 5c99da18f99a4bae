namespace WsBalancer.Host.Configuration;

/// <summary>
/// ASP.NET-style environment variables: <c>WSB__server__frontend__address</c>, <c>WSB__upstream__backends__0__url</c>.
/// The prefix is matched case-insensitively, as Microsoft.Extensions.Configuration does; an empty value is not set.
/// </summary>
internal static class PrefixedEnvironment
{
    public const string Prefix = "WSB__";

    public static ConfigurationLayer Read(IReadOnlyDictionary<string, string> environment)
    {
        var layer = new ConfigurationLayer();

        // Sorted so that the result does not depend on the dictionary's order when two variables differ only in case.
        foreach (var (name, value) in environment.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (name.Length > Prefix.Length && name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && value.Length > 0)
            {
                layer.Set(name[Prefix.Length..].Replace("__", ":", StringComparison.Ordinal), value);
            }
        }

        return layer;
    }
}

namespace WsBalancer.Host.Configuration;

/// <summary>One configured value and the user-facing name of where it came from (<c>FE_ADDR</c>, <c>server.frontend.address</c>).</summary>
internal readonly record struct ConfigurationEntry(string Value, string Origin);

/// <summary>The values of one configuration source (appsettings.json, the YAML file, WSB__ variables, the command line).</summary>
internal sealed class ConfigurationLayer
{
    private readonly Dictionary<string, (ConfigurationEntry Entry, bool FromAlias)> _entries = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<KeyValuePair<string, ConfigurationEntry>> Entries =>
        _entries.Select(pair => KeyValuePair.Create(pair.Key, pair.Value.Entry));

    /// <param name="origin">Null: the key's YAML path.</param>
    public void Set(string key, string value, string? origin = null)
    {
        var normalized = ConfigKey.Normalize(key, out var fromAlias);

        // Within one source the correct spelling wins over the ancestor's wite-timeout, whatever their order.
        if (fromAlias && _entries.TryGetValue(normalized, out var existing) && !existing.FromAlias)
        {
            return;
        }

        _entries[normalized] = (new ConfigurationEntry(value, origin ?? ConfigKey.ToDisplayPath(normalized)), fromAlias);
    }
}

using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// The configuration merged so far, layer by layer from lowest to highest precedence, each value remembering its origin.
/// </summary>
/// <remarks>
/// Merging is done here rather than by stacking providers in one <see cref="ConfigurationBuilder"/> because providers
/// merge lists item by item: a file's <c>block-headers: [A, B, C]</c> under <c>BLOCK_HEADERS=X</c> would become
/// <c>[X, B, C]</c>. Lists of plain values (block-headers, pass-headers, abnormal-close-codes) are therefore replaced
/// as a whole by any layer that sets them. <c>upstream.backends</c> keeps the item-by-item merge, because its items are
/// objects and <c>WSB__upstream__backends__0__ping-time=5s</c> is meant to tune one field of the file's first backend.
/// </remarks>
internal sealed class LayeredValues
{
    private readonly Dictionary<string, ConfigurationEntry> _entries = new(StringComparer.OrdinalIgnoreCase);

    public void Apply(ConfigurationLayer layer)
    {
        foreach (var root in layer.Entries.Select(pair => ConfigKey.ValueListRoot(pair.Key)).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase))
        {
            RemoveUnder(root);
        }

        foreach (var (key, entry) in layer.Entries)
        {
            _entries[key] = entry;
        }
    }

    public void Set(string key, string value, string origin) => _entries[key] = new ConfigurationEntry(value, origin);

    /// <summary>The items of a list, given either as numbered children or as one comma-separated value.</summary>
    public IReadOnlyList<ConfigurationEntry> GetList(string listKey)
    {
        var prefix = listKey + ":";
        var items = _entries
            .Where(pair => pair.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(pair => (Index: ParseIndex(pair.Key[prefix.Length..]), pair.Value))
            .Where(item => item.Index >= 0)
            .OrderBy(item => item.Index)
            .Select(item => item.Value)
            .ToList();
        if (items.Count > 0 || !_entries.TryGetValue(listKey, out var whole))
        {
            return items;
        }

        return [.. SplitCommaList(whole.Value).Select(value => whole with { Value = value })];
    }

    public void SetList(string listKey, IEnumerable<ConfigurationEntry> items)
    {
        var materialized = items.ToList();
        RemoveUnder(listKey);
        for (var i = 0; i < materialized.Count; i++)
        {
            _entries[ConfigKey.Item(listKey, i)] = materialized[i];
        }
    }

    /// <summary>The distinct item segments under <c>upstream:backends</c> (normally "0", "1", …).</summary>
    public IReadOnlyList<string> BackendIndexes()
    {
        var prefix = ConfigKey.Backends + ":";
        return [.. _entries.Keys
            .Where(key => key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(key => key[prefix.Length..].Split(':')[0])
            .Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Every key under <paramref name="prefix"/> (which ends with ':'), with its value.</summary>
    public IReadOnlyList<(string Key, ConfigurationEntry Entry)> EntriesUnder(string prefix) =>
        [.. _entries.Where(pair => pair.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(pair => (pair.Key, pair.Value))];

    public string Origin(string key) => _entries.TryGetValue(key, out var entry) ? entry.Origin : ConfigKey.ToDisplayPath(key);

    public IConfigurationRoot ToConfiguration() =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(_entries.Select(pair => KeyValuePair.Create(pair.Key, (string?)pair.Value.Value)))
            .Build();

    public static IReadOnlyList<string> SplitCommaList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private void RemoveUnder(string key)
    {
        var prefix = key + ":";
        foreach (var existing in _entries.Keys.Where(k => k.Equals(key, StringComparison.OrdinalIgnoreCase) || k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            _entries.Remove(existing);
        }
    }

    private static int ParseIndex(string rest) =>
        int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1;
}

using System.Globalization;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>Reads the plugin's settings; every error names the key as the operator wrote it in the configuration.</summary>
/// <remarks>Keys arrive lower-cased from the host; they are compared case-insensitively all the same.</remarks>
internal sealed class SettingsReader
{
    private readonly string _pluginName;
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase);

    public SettingsReader(string pluginName, IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _pluginName = pluginName;
        _values = new Dictionary<string, string>(settings, StringComparer.OrdinalIgnoreCase);
    }

    public int Int32(string key, int defaultValue, int min, int max) =>
        (int)Int64(key, defaultValue, min, max);

    public long Int64(string key, long defaultValue, long min, long max)
    {
        if (!TryGet(key, out var text))
        {
            return defaultValue;
        }

        return long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Invalid(key, text, $"an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
    }

    public bool Boolean(string key, bool defaultValue)
    {
        if (!TryGet(key, out var text))
        {
            return defaultValue;
        }

        return text.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw Invalid(key, text, "a boolean: true, false, 1, 0, yes or no"),
        };
    }

    public TimeSpan Duration(string key, TimeSpan defaultValue, TimeSpan min)
    {
        if (!TryGet(key, out var text))
        {
            return defaultValue;
        }

        return DurationText.TryParse(text, out var value) && value >= min
            ? value
            : throw Invalid(key, text, $"a duration of at least {DurationText.Format(min)} such as 30d, 12h or 90m (units ns, us, ms, s, m, h, d)");
    }

    /// <summary>Fails on a key no reader asked for: a misspelt key would otherwise silently leave a default in force.</summary>
    public void RejectUnknown()
    {
        foreach (var key in _values.Keys)
        {
            if (!_known.Contains(key))
            {
                throw new ArgumentException(
                    $"{Path(key)}: unknown setting; expected one of {string.Join(", ", _known.Order(StringComparer.Ordinal))}");
            }
        }
    }

    private bool TryGet(string key, out string text)
    {
        _known.Add(key);
        return _values.TryGetValue(key, out text!);
    }

    private string Path(string key) => $"plugins.{_pluginName}.settings.{key}";

    private ArgumentException Invalid(string key, string value, string expected) => new($"{Path(key)}='{value}': expected {expected}");
}

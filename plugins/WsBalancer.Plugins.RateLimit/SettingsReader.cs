using System.Globalization;

namespace WsBalancer.Plugins.RateLimit;

/// <summary>Reads the plugin's settings; every error names the key as the operator wrote it in the configuration.</summary>
/// <remarks>Keys arrive lower-cased from the host; they are compared case-insensitively all the same.</remarks>
internal sealed class SettingsReader
{
    private static readonly (string Suffix, long Bytes)[] ByteUnits =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("B", 1),
    ];

    private readonly string _pluginName;
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase);

    public SettingsReader(string pluginName, IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _pluginName = pluginName;
        _values = new Dictionary<string, string>(settings, StringComparer.OrdinalIgnoreCase);
    }

    public int Int32(string key, int defaultValue, int min, int max)
    {
        if (!TryGet(key, out var text))
        {
            return defaultValue;
        }

        return int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Invalid(key, text, $"an integer from {Show(min)} to {Show(max)}");
    }

    /// <summary>A rate: a decimal number without exponent (<c>0.5</c> is one message every two seconds).</summary>
    public double Rate(string key, double defaultValue, bool zeroAllowed, double max)
    {
        if (!TryGet(key, out var text))
        {
            return defaultValue;
        }

        var expected = zeroAllowed ? $"a number from 0 (off) to {Show(max)}" : $"a number greater than 0 and at most {Show(max)}";
        return double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            && (value > 0 || (zeroAllowed && value == 0)) && value <= max
            ? value
            : throw Invalid(key, text, expected);
    }

    /// <summary>A size: an integer count of bytes, optionally with a unit (<c>64KiB</c>, <c>1 MiB</c>, <c>500KB</c>).</summary>
    public long Bytes(string key, long defaultValue, long min, long max)
    {
        if (!TryGet(key, out var text))
        {
            return defaultValue;
        }

        return TryParseBytes(text, out var value) && value >= min && value <= max
            ? value
            : throw Invalid(key, text, $"a size in bytes from {Show(min)} to {Show(max)} (units B, KiB, MiB, GiB, KB, MB, GB)");
    }

    /// <summary>One of <paramref name="choices"/>, case-insensitive; returns the choice as written in the list.</summary>
    public string Choice(string key, string defaultValue, params string[] choices)
    {
        if (!TryGet(key, out var text))
        {
            return defaultValue;
        }

        foreach (var choice in choices)
        {
            if (string.Equals(choice, text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        throw Invalid(key, text, "one of " + string.Join(", ", choices));
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

    private static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        var s = text.AsSpan().Trim();
        long multiplier = 1;
        foreach (var (suffix, unitBytes) in ByteUnits)
        {
            if (s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                s = s[..^suffix.Length].TrimEnd();
                multiplier = unitBytes;
                break;
            }
        }

        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var count))
        {
            return false;
        }

        try
        {
            bytes = checked(count * multiplier);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);

    private bool TryGet(string key, out string text)
    {
        _known.Add(key);
        return _values.TryGetValue(key, out text!);
    }

    private string Path(string key) => $"plugins.{_pluginName}.settings.{key}";

    private ArgumentException Invalid(string key, string value, string expected) => new($"{Path(key)}='{value}': expected {expected}");
}

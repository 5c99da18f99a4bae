using System.Globalization;

namespace WsBalancer.Bench.Load;

/// <summary>
/// <c>--key value</c> pairs after the scenario name. Every key must be read by the scenario, so a typo fails the run
/// instead of silently benchmarking the default.
/// </summary>
internal sealed class LoadArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private LoadArguments(string scenario) => Scenario = scenario;

    public string Scenario { get; }

    public static LoadArguments Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("the first argument must be a scenario name");
        }

        var parsed = new LoadArguments(args[0]);
        for (var i = 1; i < args.Length; i++)
        {
            var key = args[i];
            if (!key.StartsWith("--", StringComparison.Ordinal) || key.Length < 3)
            {
                throw new ArgumentException($"expected --option, got '{key}'");
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"missing value for {key}");
            }

            parsed._values[key[2..]] = args[++i];
        }

        return parsed;
    }

    public string String(string key, string fallback) => Get(key) ?? fallback;

    public string? OptionalString(string key) => Get(key);

    public string RequiredString(string key) => Get(key) ?? throw new ArgumentException($"--{key} is required");

    public int Int(string key, int fallback)
    {
        var text = Get(key);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new ArgumentException($"--{key} '{text}' is not a non-negative integer");
    }

    public double Seconds(string key, double fallback)
    {
        var text = Get(key);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new ArgumentException($"--{key} '{text}' is not a non-negative number of seconds");
    }

    public IReadOnlyList<int> Pids(string key)
    {
        var text = Get(key);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var pids = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            pids.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                ? pid
                : throw new ArgumentException($"--{key}: '{part}' is not a process id"));
        }

        return pids;
    }

    /// <summary>Throws when an option was given that nothing read.</summary>
    public void EnsureAllRead()
    {
        foreach (var key in _values.Keys)
        {
            if (!_read.Contains(key))
            {
                throw new ArgumentException($"unknown option --{key} for scenario '{Scenario}'");
            }
        }
    }

    private string? Get(string key)
    {
        _read.Add(key);
        return _values.TryGetValue(key, out var value) ? value : null;
    }
}

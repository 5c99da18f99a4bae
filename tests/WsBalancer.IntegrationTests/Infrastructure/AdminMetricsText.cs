using System.Globalization;
using System.Text;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>One sample line of the Prometheus text format: <c>name{label="value",…} 12</c>.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>True when every given label is present with that value (other labels are ignored).</summary>
    public bool Has(params (string Name, string Value)[] labels) =>
        labels.All(l => Labels.TryGetValue(l.Name, out var value) && value == l.Value);
}

/// <summary>
/// A scrape of <c>GET /metrics</c> (text exposition format 0.0.4), parsed line by line: comments are skipped,
/// each other line is one sample. Small on purpose: enough to read the balancer's own series.
/// </summary>
public sealed class AdminMetricsText
{
    private AdminMetricsText(string text, IReadOnlyList<MetricSample> samples)
    {
        Text = text;
        Samples = samples;
    }

    public string Text { get; }

    public IReadOnlyList<MetricSample> Samples { get; }

    public static AdminMetricsText Parse(string text)
    {
        var samples = new List<MetricSample>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            samples.Add(ParseLine(line));
        }

        return new AdminMetricsText(text, samples);
    }

    /// <summary>Samples of one series name whose labels include all of <paramref name="labels"/>.</summary>
    public IEnumerable<MetricSample> Find(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && s.Has(labels));

    /// <summary>The value of the single sample that matches; fails the test when there is none or more than one.</summary>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        var matches = Find(name, labels).ToList();
        if (matches.Count != 1)
        {
            var wanted = string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""));
            Assert.Fail($"expected one sample {name}{{{wanted}}}, found {matches.Count} in:\n{Text}");
        }

        return matches[0].Value;
    }

    /// <summary>The value of the single matching sample, or null when there is none.</summary>
    public double? ValueOrNull(string name, params (string Name, string Value)[] labels) =>
        Find(name, labels).Select(s => (double?)s.Value).SingleOrDefault();

    private static MetricSample ParseLine(string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var brace = line.IndexOf('{', StringComparison.Ordinal);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        string name;
        int rest;
        if (brace >= 0 && (space < 0 || brace < space))
        {
            name = line[..brace];
            rest = ParseLabels(line, brace + 1, labels);
        }
        else
        {
            name = line[..space];
            rest = space;
        }

        // After the value an optional timestamp may follow; only the value is kept.
        var fields = line[rest..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var value = fields[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var text => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new MetricSample(name, labels, value);
    }

    /// <summary>Reads <c>a="x",b="y\"z"}</c> from <paramref name="index"/>; returns the index after the closing brace.</summary>
    private static int ParseLabels(string line, int index, Dictionary<string, string> labels)
    {
        while (line[index] != '}')
        {
            var equals = line.IndexOf('=', index);
            var labelName = line[index..equals].Trim(',', ' ');
            index = equals + 2; // past ="
            var value = new StringBuilder();
            while (line[index] != '"')
            {
                if (line[index] == '\\')
                {
                    index++;
                    value.Append(line[index] == 'n' ? '\n' : line[index]);
                }
                else
                {
                    value.Append(line[index]);
                }

                index++;
            }

            labels[labelName] = value.ToString();
            index++; // past the closing quote
            if (line[index] == ',')
            {
                index++;
            }
        }

        return index + 1;
    }
}

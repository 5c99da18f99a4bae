using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// The valve-overhead section of the report: plain wsbalancer and its echo-only variants, each run several times by
/// run.sh's overhead phase (interleaved rounds, a fresh process each). One echo run on the shared bench machine varies
/// by about ±20 %, so the table shows per variant the median over its rounds and compares medians with plain
/// wsbalancer's, and lists every round's throughput so the reader sees the spread the medians came from. Under it, for
/// the script variants, what the balancer's own <c>/script/list</c> counted in those runs (<see cref="ScriptStatsTable"/>).
/// </summary>
internal static class OverheadTable
{
    /// <summary>The scenario name run.sh gives (<c>--label</c>) the overhead phase's echo lines.</summary>
    public const string Scenario = "echo-overhead";

    // In run.sh's order, with what each adds to plain wsbalancer and its target (throughput ÷ plain); plain
    // wsbalancer is the reference of the ratios.
    private static readonly (string Target, string Adds, string Goal)[] Variants =
    [
        ("wsbalancer", "nothing: the reference", "–"),
        ("wsbalancer-metrics", "instrumentation on (`ENABLE_INST=true`): the metrics valve", "≥ 0.95×"),
        ("wsbalancer-valve", "one in-process pass-through `IValveProvider` valve", "≥ 0.95×"),
        ("wsbalancer-script", "a scripts folder with one pass-through script valve (`beforeTransmit`, `afterReceive` return nothing)", "≥ 0.90× (costs < 10 %)"),
        ("wsbalancer-script-json", "one script valve that parses the JSON message, adds and renames a field and stringifies it, both ways (`--payload json`)", "≥ 0.75× (costs < 25 %)"),
    ];

    /// <summary>The section (heading, table, how to read it), or empty when the run measured no variant.</summary>
    public static string Write(IReadOnlyList<JsonObject> results)
    {
        var runs = results.Where(r => ScenarioOf(r) == Scenario).ToList();
        // A results file from before the overhead phase has one plain "echo" line per variant: show those as single
        // runs rather than nothing, and say that they are.
        var singleRuns = runs.Count == 0;
        if (singleRuns)
        {
            runs = results.Where(r => ScenarioOf(r) == "echo" && Variants.Any(v => v.Target == TargetOf(r))).ToList();
        }

        var rows = Variants.Select(v => VariantFigures.Of(v.Target, v.Adds, v.Goal, runs.Where(r => TargetOf(r) == v.Target))).ToList();
        if (rows.Skip(1).All(row => row.Rounds.Count == 0))
        {
            return string.Empty;
        }

        var plain = rows[0];
        var md = new StringBuilder();
        md.AppendLine("## Valve overhead (echo, same settings)").AppendLine();
        md.AppendLine("| variant | adds to plain wsbalancer | rounds | round trips/s (median) | round trips/s per round | p99 µs (median) | proxy CPU µs / round trip (median) | proxy CPU ÷ backends' CPU (median) | throughput ÷ plain | target | CPU ÷ plain | CPU ÷ backends' ÷ plain |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        foreach (var row in rows.Where(row => row == plain || row.Rounds.Count > 0))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {row.Target} | {row.Adds} | {row.RoundsText} | {ReportWriter.Format(row.Rate, 0)}{row.Warning} | {row.PerRoundRates} | {ReportWriter.Format(row.P99, 0)} | {ReportWriter.Format(row.Cpu, 1)} | {ReportWriter.Format(row.RelativeCpu, 2)} | {ReportWriter.Ratio(row.Rate, plain.Rate)} | {row.Goal} | {ReportWriter.Ratio(row.Cpu, plain.Cpu)} | {ReportWriter.Ratio(row.RelativeCpu, plain.RelativeCpu)} |");
        }

        md.AppendLine();
        if (singleRuns)
        {
            md.AppendLine("Single runs at different moments (a results file without the overhead phase; plain wsbalancer is the main");
            md.AppendLine("table's echo run). One echo run varies by about ±20 % on this machine, so these ratios cannot show an overhead of");
            md.AppendLine("a few per cent; a run of the current run.sh measures each variant in interleaved rounds instead.");
        }
        else
        {
            md.AppendLine("Each variant ran the main echo scenario once per round, in a fresh process, the rounds interleaved with the");
            md.AppendLine("order rotated; figures are medians over the rounds and the ratios compare them with plain wsbalancer's medians");
            md.AppendLine("(throughput: higher is better; CPU: lower is better). \"Per round\" is in round order: its spread is the noise.");
            md.AppendLine("The last column divides the proxy's CPU by the echo backends' CPU in the same window before comparing: the");
            md.AppendLine("backends' work per message is the same for every variant, so the machine's drift between rounds cancels.");
            md.AppendLine("A target is on throughput ÷ plain (\"costs < 10 %\": at least 0.90×); the CPU columns show the same cost as");
            md.AppendLine("CPU per round trip, the steadier reading on a shared machine. The JSON script's client sends a JSON object of");
            md.AppendLine("the same 128 bytes (`--payload json`) and checks every echo byte for byte; the other variants do not look");
            md.AppendLine("inside the message, so its content makes no difference to them.");
        }

        md.AppendLine();
        md.Append(ScriptStatsTable.Write(results, Scenario, "Script calls in these runs"));
        return md.ToString();
    }

    private static string? ScenarioOf(JsonObject result) => result["scenario"]?.ToString();

    private static string? TargetOf(JsonObject result) => result["target"]?.ToString();

    /// <summary>One variant's rounds and their medians; a round that failed outright counts but gives no figure.</summary>
    private sealed record VariantFigures(string Target, string Adds, string Goal, IReadOnlyList<JsonObject> Rounds)
    {
        private IEnumerable<JsonObject> Measured => Rounds.Where(r => r["error"] is null);

        public double? Rate => Median("roundTripsPerSecond");

        public double? P99 => Median("p99Us");

        public double? Cpu => Median("targetCpuUsPerOp");

        public double? RelativeCpu => Median("targetCpuPerBackendCpu");

        /// <summary>"3", or "2 of 3" when a round failed.</summary>
        public string RoundsText
        {
            get
            {
                var measured = Measured.Count();
                return measured == Rounds.Count ? measured.ToString(CultureInfo.InvariantCulture) : $"{measured} of {Rounds.Count}";
            }
        }

        /// <summary>Marks medians that include a round with errors, as the main table marks such a cell.</summary>
        public string Warning => Measured.Any(r => r["ok"]?.GetValue<bool>() != true) ? " ⚠" : "";

        /// <summary>Every round's throughput in round order, compactly: "20.1k / 18.7k / 21.0k".</summary>
        public string PerRoundRates => Rounds.Count == 0
            ? "–"
            : string.Join(" / ", Rounds.Select(r => r["error"] is null ? Thousands(ReportWriter.Number(r["roundTripsPerSecond"])) : "FAIL"));

        public static VariantFigures Of(string target, string adds, string goal, IEnumerable<JsonObject> runs) =>
            new(target, adds, goal, runs.OrderBy(r => ReportWriter.Number(r["round"]) ?? 1).ToList());

        private double? Median(string field) => ReportWriter.Median(Measured.Select(r => ReportWriter.Number(r[field])));

        private static string Thousands(double? value) => value switch
        {
            null => "–",
            >= 1000 => (value.Value / 1000).ToString("0.0", CultureInfo.InvariantCulture) + "k",
            _ => value.Value.ToString("0", CultureInfo.InvariantCulture),
        };
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// <c>report</c>: turns the JSON lines of one run into bench/RESULTS.md: the machine, one table of absolute figures
/// with wsbalancer's ratios to direct and to the best peer (the better of nginx and HAProxy for that row), the valve
/// overhead table (<see cref="OverheadTable"/>), the script-engine memory table (<see cref="ScriptMemoryTable"/>), and a
/// placeholder for the interpretation.
/// </summary>
internal static class ReportWriter
{
    private static readonly string[] Targets = ["direct", "wsbalancer", "nginx", "haproxy"];
    private static readonly string[] Peers = ["nginx", "haproxy"];

    // scenario, field, label, higher is better, decimals
    private static readonly Row[] Rows =
    [
        new("echo", "roundTripsPerSecond", "echo: round trips/s", true, 0),
        new("echo", "p50Us", "echo: p50 latency (µs)", false, 0),
        new("echo", "p99Us", "echo: p99 latency (µs)", false, 0),
        new("echo", "maxUs", "echo: max latency (µs)", false, 0),
        new("echo", "targetCpuUsPerOp", "echo: proxy CPU µs / round trip", false, 1),
        new("echo", "targetCpuPerBackendCpu", "echo: proxy CPU ÷ echo backends' CPU", false, 2),
        new("pipelined", "messagesPerSecond", "pipelined: messages/s", true, 0),
        new("pipelined", "targetCpuUsPerOp", "pipelined: proxy CPU µs / message", false, 1),
        new("pipelined", "targetCpuPerBackendCpu", "pipelined: proxy CPU ÷ echo backends' CPU", false, 2),
        new("bulk", "mibPerSecond", "bulk: MiB/s", true, 1),
        new("bulk", "targetCpuUsPerOp", "bulk: proxy CPU µs / MiB", false, 0),
        new("idle", "opened", "idle: sessions held", true, 0),
        new("idle", "openSeconds", "idle: time to open all (s)", false, 2),
        new("idle", "targetRssPerSessionKiB", "idle: proxy RSS per session (KiB)", false, 2),
        new("churn", "sessionsPerSecond", "churn: sessions/s", true, 0),
        new("churn", "p99Us", "churn: p99 session time (µs)", false, 0),
        new("churn", "targetCpuUsPerOp", "churn: proxy CPU µs / session", false, 0),
        new("failover", "sessionsClosed", "failover: sessions that saw a close", false, 0),
        new("failover", "sessionsOnDyingBackend", "failover: sessions on the killed backend", null, 0),
        new("failover", "lost", "failover: messages lost", false, 0),
        new("failover", "lostInDyingBackend", "failover: … of which in flight inside the dying backend", null, 0),
        new("failover", "duplicated", "failover: duplicated", false, 0),
        new("failover", "reordered", "failover: reordered", false, 0),
        new("failover", "gapP50Ms", "failover: echo gap p50 (ms)", false, 1),
        new("failover", "gapP99Ms", "failover: echo gap p99 (ms)", false, 1),
        new("failover", "gapMaxMs", "failover: echo gap max (ms)", false, 1),
        new("failover", "recoveryP50Ms", "failover: worst echo latency after the kill p50 (ms)", false, 1),
        new("failover", "recoveryP99Ms", "failover: worst echo latency after the kill p99 (ms)", false, 1),
        new("failover", "recoveryMaxMs", "failover: worst echo latency after the kill max (ms)", false, 1),
    ];

    public static int Run(LoadArguments args)
    {
        var resultsPath = args.RequiredString("results");
        var outPath = args.RequiredString("out");
        var versions = args.OptionalString("versions");
        var notesPath = args.OptionalString("notes-file");
        var mode = args.String("mode", "full");
        var command = args.OptionalString("command");
        var commit = args.OptionalString("commit");
        args.EnsureAllRead();

        var lines = new List<JsonObject>();
        foreach (var line in File.ReadLines(resultsPath))
        {
            if (!string.IsNullOrWhiteSpace(line) && JsonNode.Parse(line) is JsonObject result)
            {
                lines.Add(result);
            }
        }

        // The main table: one line per target and scenario. The phases' repeated lines (and the script counters
        // run.sh reads after a scripted run) are only their own tables', so they cannot replace a main row.
        string[] phaseScenarios = [OverheadTable.Scenario, ScriptMemoryTable.Scenario, ScriptStatsTable.Scenario, SyscallTable.Scenario];
        var results = new Dictionary<(string Target, string Scenario), JsonObject>();
        foreach (var result in lines.Where(r => Array.IndexOf(phaseScenarios, r["scenario"]?.ToString()) < 0))
        {
            results[(result["target"]?.ToString() ?? "?", result["scenario"]?.ToString() ?? "?")] = result;
        }

        var table = Table(results);
        var overhead = OverheadTable.Write(lines) + ScriptMemoryTable.Write(lines) + SyscallTable.Write(lines);
        var md = new StringBuilder();
        md.AppendLine("# WsBalancer benchmark results").AppendLine();
        var measured = commit is null ? "" : $" at commit `{commit}`";
        md.AppendLine(CultureInfo.InvariantCulture, $"Generated by `{command ?? "bench/run.sh"}` ({mode} mode){measured} on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Regenerate; do not edit by hand except the Interpretation section.").AppendLine();
        md.AppendLine("## Machine").AppendLine();
        foreach (var fact in Machine(versions))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {fact}");
        }

        md.AppendLine();
        md.AppendLine("Load generator, echo backends and the proxy under test share these cores over loopback. \"Proxy CPU\" is the");
        md.AppendLine("proxy's own user+system time from /proc over the measured window (all its processes), divided by the operations in it.");
        md.AppendLine();
        // A run of the system-call phase alone (--syscalls-only) has no timed figure to show.
        if (results.Count > 0)
        {
            md.AppendLine("## Results").AppendLine();
            md.Append(table);
            md.AppendLine();
            md.AppendLine("Ratios are wsbalancer ÷ the other figure (for latency, CPU, RSS, losses and gaps lower is better; \"best peer\" is the better of nginx and HAProxy on that row).");
            md.AppendLine();
        }

        md.Append(overhead);
        md.Append(Failures(lines));
        if (notesPath is not null && File.Exists(notesPath))
        {
            var notes = File.ReadAllText(notesPath).Trim();
            if (notes.Length > 0)
            {
                md.AppendLine("## Notes from the run").AppendLine().AppendLine(notes).AppendLine();
            }
        }

        md.AppendLine("## Interpretation").AppendLine();
        md.Append(KeptInterpretation(outPath) ?? """
            > **TO BE WRITTEN** by the engineer after a full run (not `--quick`): which targets are met, which are not and
            > what limits them, with profiler evidence (`dotnet-counters`, `dotnet-trace`) and the numbers above.

            """);
        File.WriteAllText(outPath, md.ToString());
        if (results.Count > 0)
        {
            Console.Out.Write(table);
        }

        if (overhead.Length > 0)
        {
            Console.Out.WriteLine();
            Console.Out.Write(overhead);
        }

        return 0;
    }

    /// <summary>The hand-written Interpretation section of the previous report, so a regeneration keeps it.</summary>
    private static string? KeptInterpretation(string outPath)
    {
        if (!File.Exists(outPath))
        {
            return null;
        }

        var previous = File.ReadAllText(outPath);
        var start = previous.IndexOf("## Interpretation", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var text = previous[(start + "## Interpretation".Length)..].Trim();
        return text.Length == 0 || text.Contains("TO BE WRITTEN", StringComparison.Ordinal) ? null : text + Environment.NewLine;
    }

    private static string Table(Dictionary<(string Target, string Scenario), JsonObject> results)
    {
        var md = new StringBuilder();
        md.Append("| scenario / figure |");
        foreach (var target in Targets)
        {
            md.Append(' ').Append(target).Append(" |");
        }

        md.AppendLine(" wsb ÷ direct | wsb ÷ best peer |");
        md.Append("|---|");
        foreach (var _ in Targets)
        {
            md.Append("---:|");
        }

        md.AppendLine("---:|---:|");
        foreach (var row in Rows)
        {
            md.Append("| ").Append(row.Label).Append(" |");
            foreach (var target in Targets)
            {
                md.Append(' ').Append(Cell(results, target, row)).Append(" |");
            }

            var wsb = Value(results, "wsbalancer", row);
            var direct = Value(results, "direct", row);
            md.Append(' ').Append(row.HigherIsBetter is null ? "" : Ratio(wsb, direct)).Append(" |");
            double? best = null;
            string? bestName = null;
            if (row.HigherIsBetter is bool higher)
            {
                foreach (var peer in Peers)
                {
                    if (Value(results, peer, row) is double v && (best is null || (higher ? v > best : v < best)))
                    {
                        best = v;
                        bestName = peer;
                    }
                }
            }

            md.Append(' ').Append(bestName is null ? "" : $"{Ratio(wsb, best)} ({bestName})").AppendLine(" |");
        }

        return md.ToString();
    }

    private static string Failures(List<JsonObject> results)
    {
        var md = new StringBuilder();
        foreach (var result in results)
        {
            if (result["ok"]?.GetValue<bool>() == true)
            {
                continue;
            }

            if (md.Length == 0)
            {
                md.AppendLine("## Runs with errors").AppendLine();
            }

            var round = result["round"] is JsonNode number ? $" round {number.ToJsonString()}" : "";
            var error = result["error"]?.ToString() ?? result["lastError"]?.ToString() ?? "see the JSON line";
            md.AppendLine(CultureInfo.InvariantCulture, $"- {result["target"]} / {result["scenario"]}{round}: {error} (errors: {result["errors"]?.ToJsonString() ?? "?"})");
        }

        return md.Length == 0 ? string.Empty : md.AppendLine().ToString();
    }

    private static string Cell(Dictionary<(string Target, string Scenario), JsonObject> results, string target, Row row)
    {
        if (!results.TryGetValue((target, row.Scenario), out var result))
        {
            return "n/a";
        }

        if (result["error"] is not null)
        {
            return "FAIL";
        }

        var text = Format(Number(result[row.Field]), row.Decimals);
        return result["ok"]?.GetValue<bool>() == true ? text : text + " ⚠";
    }

    private static double? Value(Dictionary<(string Target, string Scenario), JsonObject> results, string target, Row row) =>
        results.TryGetValue((target, row.Scenario), out var result) && result["error"] is null ? Number(result[row.Field]) : null;

    internal static double? Number(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    /// <summary>The median of the values given (nulls skipped), or null when there is none.</summary>
    internal static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        if (sorted.Count == 0)
        {
            return null;
        }

        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    internal static string Format(double? value, int decimals) =>
        value is double v ? v.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "–";

    internal static string Ratio(double? ours, double? theirs) =>
        ours is double a && theirs is double b && b != 0 ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";

    private static List<string> Machine(string? versions)
    {
        var facts = new List<string>
        {
            $"CPU: {FirstValue("/proc/cpuinfo", "model name") ?? "unknown"}, {Environment.ProcessorCount} cores visible",
            $"memory: {MemoryGiB()}",
            $"OS: {OsName()} (kernel {ReadTrimmed("/proc/sys/kernel/osrelease") ?? "?"})",
            $".NET: {RuntimeInformation.FrameworkDescription}",
        };
        if (!string.IsNullOrWhiteSpace(versions))
        {
            facts.Add($"peers: {versions}");
        }

        return facts;
    }

    private static string MemoryGiB()
    {
        var kib = FirstValue("/proc/meminfo", "MemTotal");
        return kib is not null && long.TryParse(kib.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? (value / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
            : "unknown";
    }

    private static string OsName()
    {
        var line = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) : null;
        return line?["PRETTY_NAME=".Length..].Trim('"') ?? RuntimeInformation.OSDescription;
    }

    private static string? FirstValue(string file, string key)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        foreach (var line in File.ReadLines(file))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    private static string? ReadTrimmed(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : null;

    private sealed record Row(string Scenario, string Field, string Label, bool? HigherIsBetter, int Decimals);
}

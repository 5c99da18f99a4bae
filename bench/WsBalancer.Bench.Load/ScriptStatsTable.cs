using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// What a scripted balancer counted itself: run.sh reads its admin API's <c>/script/list</c> after each run of a
/// <c>wsbalancer-script*</c> target and appends it as a <c>"script-stats"</c> line (<c>of</c>: the scenario label of
/// that run, <c>round</c>, <c>scripts</c>: the list). It shows that the script really ran on the messages (calls,
/// modifications), that it never failed (errors: a failed call drops the message by default), and how long one call
/// took inside the balancer.
/// </summary>
internal static class ScriptStatsTable
{
    /// <summary>The scenario name of run.sh's script-counter lines.</summary>
    public const string Scenario = "script-stats";

    /// <summary>A small table of the runs labelled <paramref name="of"/>, or empty when there is none.</summary>
    public static string Write(IReadOnlyList<JsonObject> results, string of, string heading)
    {
        var lines = results.Where(r => r["scenario"]?.ToString() == Scenario && r["of"]?.ToString() == of).ToList();
        if (lines.Count == 0)
        {
            return string.Empty;
        }

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"{heading} (the balancer's `/script/list` after each run, summed over its scripts):").AppendLine();
        md.AppendLine("| variant | runs | script calls per run (median) | modified per run (median) | errors (all runs) | µs per call, average (median) | µs per call, p99 bucket (median) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in lines.GroupBy(r => r["target"]?.ToString() ?? "?"))
        {
            var runs = group.ToList();
            var read = runs.Where(r => r["scripts"] is JsonArray).Select(r => Totals((JsonArray)r["scripts"]!)).ToList();
            var runsText = read.Count == runs.Count
                ? runs.Count.ToString(CultureInfo.InvariantCulture)
                : $"{read.Count} of {runs.Count}";
            var errors = read.Count == 0 ? null : (double?)read.Sum(t => t.Errors);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {runsText} | {ReportWriter.Format(ReportWriter.Median(read.Select(t => (double?)t.Calls)), 0)} | {ReportWriter.Format(ReportWriter.Median(read.Select(t => (double?)t.Modifies)), 0)} | {ReportWriter.Format(errors, 0)}{(errors > 0 ? " ⚠" : "")} | {ReportWriter.Format(ReportWriter.Median(read.Select(t => t.AvgMicros)), 1)} | {ReportWriter.Format(ReportWriter.Median(read.Select(t => t.P99Micros)), 0)} |");
        }

        md.AppendLine();
        return md.ToString();
    }

    /// <summary>Calls, modifications and errors of every script in the list; the call-weighted average and the largest p99.</summary>
    private static (double Calls, double Modifies, double Errors, double? AvgMicros, double? P99Micros) Totals(JsonArray scripts)
    {
        double calls = 0, modifies = 0, errors = 0, weighted = 0;
        double? p99 = null;
        foreach (var script in scripts.OfType<JsonObject>())
        {
            var n = ReportWriter.Number(script["calls"]) ?? 0;
            calls += n;
            modifies += ReportWriter.Number(script["modifies"]) ?? 0;
            errors += ReportWriter.Number(script["errors"]) ?? 0;
            weighted += n * (ReportWriter.Number(script["avgMicros"]) ?? 0);
            if (ReportWriter.Number(script["p99Micros"]) is double p && (p99 is null || p > p99))
            {
                p99 = p;
            }
        }

        return (calls, modifies, errors, calls > 0 ? weighted / calls : null, calls > 0 ? p99 : null);
    }
}

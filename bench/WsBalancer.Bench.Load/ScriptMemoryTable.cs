using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// The script-memory section of the report: run.sh's script-memory phase runs the idle scenario with every session
/// having echoed one message first (<c>--prime 1</c>; a session creates its script engine on its first message), against
/// plain wsbalancer and wsbalancer-script, in alternating rounds. Each run's RSS per held session is (VmRSS held − VmRSS
/// before the sessions) ÷ sessions; the engine's cost per idle session is the difference of the two variants' medians.
/// </summary>
internal static class ScriptMemoryTable
{
    /// <summary>The scenario name run.sh gives (<c>--label</c>) the phase's idle lines.</summary>
    public const string Scenario = "idle-primed";

    /// <summary>Target for one idle session's script engine, KiB.</summary>
    private const double GoalKiB = 16;

    private static readonly (string Target, string What)[] Variants =
    [
        ("wsbalancer", "no script: the reference"),
        ("wsbalancer-script", "the pass-through script: one engine per session"),
    ];

    /// <summary>The section, or empty when the run had no script-memory phase.</summary>
    public static string Write(IReadOnlyList<JsonObject> results)
    {
        var runs = results.Where(r => r["scenario"]?.ToString() == Scenario).ToList();
        if (runs.Count == 0)
        {
            return string.Empty;
        }

        var md = new StringBuilder();
        md.AppendLine("## Script engine memory (idle sessions, each having echoed one message)").AppendLine();
        md.AppendLine("| variant | what | rounds | sessions held (median) | proxy RSS per session, KiB (median) | per round | proxy RSS held, MiB (median) |");
        md.AppendLine("|---|---|---:|---:|---:|---|---:|");
        var medians = new List<double?>();
        foreach (var (target, what) in Variants)
        {
            var rounds = runs.Where(r => r["target"]?.ToString() == target).OrderBy(r => ReportWriter.Number(r["round"]) ?? 1).ToList();
            var measured = rounds.Where(r => r["error"] is null).ToList();
            var perSession = ReportWriter.Median(measured.Select(r => ReportWriter.Number(r["targetRssPerSessionKiB"])));
            medians.Add(perSession);
            var warning = measured.Any(r => r["ok"]?.GetValue<bool>() != true) ? " ⚠" : "";
            var roundsText = measured.Count == rounds.Count ? rounds.Count.ToString(CultureInfo.InvariantCulture) : $"{measured.Count} of {rounds.Count}";
            var perRound = rounds.Count == 0
                ? "–"
                : string.Join(" / ", rounds.Select(r => r["error"] is null ? ReportWriter.Format(ReportWriter.Number(r["targetRssPerSessionKiB"]), 2) : "FAIL"));
            var held = ReportWriter.Median(measured.Select(r => ReportWriter.Number(r["targetRssHeldKiB"]) / 1024));
            md.AppendLine(CultureInfo.InvariantCulture, $"| {target} | {what} | {roundsText} | {ReportWriter.Format(ReportWriter.Median(measured.Select(r => ReportWriter.Number(r["opened"]))), 0)} | {ReportWriter.Format(perSession, 2)}{warning} | {perRound} | {ReportWriter.Format(held, 1)} |");
        }

        md.AppendLine();
        var cost = medians[0] is double plain && medians[1] is double scripted ? scripted - plain : (double?)null;
        var verdict = cost is null ? "" : cost <= GoalKiB ? " (met)" : " (not met)";
        md.AppendLine(CultureInfo.InvariantCulture, $"**One idle session's script engine: {ReportWriter.Format(cost, 2)} KiB** (wsbalancer-script − wsbalancer, medians of RSS per session; target ≤ {GoalKiB.ToString(CultureInfo.InvariantCulture)} KiB){verdict}.");
        md.AppendLine();
        md.AppendLine("Every session sent one 128-byte text message and got its echo before the sessions were held, so each scripted");
        md.AppendLine("session has created its engine (the script's top level run, both hooks called once); the plain balancer's sessions");
        md.AppendLine("did the same without a script. RSS per session is (VmRSS held − VmRSS before the sessions) ÷ sessions of the");
        md.AppendLine("balancer's process, so what a process holds anyway (the runtime, Jint, the parsed script) cancels; garbage not yet");
        md.AppendLine("collected counts, as it does for the operating system.");
        md.AppendLine();
        md.Append(ScriptStatsTable.Write(results, Scenario, "Script calls in these runs"));
        return md.ToString();
    }
}

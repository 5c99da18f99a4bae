using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// The system-calls section of the report, from the <c>"syscalls"</c> lines of run.sh's system-call phase: per scenario
/// and target, the proxy's sends, receives, epoll waits and changes, futex calls and all calls per operation (a round
/// trip, a message, a session), over a traced stretch separate from the timed runs, and the most frequent other calls.
/// </summary>
internal static class SyscallTable
{
    /// <summary>The scenario name of the system-call lines.</summary>
    public const string Scenario = Scenarios.SyscallMode.Scenario;

    private static readonly string[] Order = ["echo", "pipelined", "bulk", "churn", "idle"];
    private static readonly string[] Peers = ["nginx", "haproxy"];

    private static readonly (string Field, string Label)[] Groups =
    [
        ("sends", "sends (sendto, sendmsg, write, writev)"),
        ("receives", "receives (recvfrom, recvmsg, read, readv)"),
        ("receivesFailed", "… of which failed (mostly EAGAIN: nothing to read yet)"),
        ("epollWait", "epoll_wait"),
        ("epollCtl", "epoll_ctl"),
        ("futex", "futex"),
        ("total", "all system calls"),
    ];

    /// <summary>The section, or empty when the run traced nothing.</summary>
    public static string Write(IReadOnlyList<JsonObject> results)
    {
        var lines = results.Where(r => r["scenario"]?.ToString() == Scenario).ToList();
        if (lines.Count == 0)
        {
            return string.Empty;
        }

        var byKey = new Dictionary<(string Target, string Of), JsonObject>();
        foreach (var line in lines)
        {
            byKey[(line["target"]?.ToString() ?? "?", line["of"]?.ToString() ?? "?")] = line;
        }

        string[] known = ["wsbalancer", .. Peers];
        var targets = known.Where(t => byKey.Keys.Any(k => k.Target == t)).Concat(byKey.Keys.Select(k => k.Target).Distinct().Where(t => !known.Contains(t)).Order()).ToList();
        var md = new StringBuilder();
        md.AppendLine("## System calls per operation").AppendLine();
        md.AppendLine("The proxy's system calls, counted by `strace -c -f` attached to all its processes and threads in a run of its own, after");
        md.AppendLine("the timed runs: an untraced warm-up, then exactly the number of operations shown, traced, with nothing in flight when the");
        md.AppendLine("trace starts or stops (it stops 0.2 s after the last one). The same connections and message sizes as the timed scenario. An");
        md.AppendLine("operation is an echo round trip (one message each way through the proxy), a pipelined or bulk message (echoed), a churned");
        md.AppendLine("session (connect, one echo, close), or an idle session held for the window. strace slows the proxy several times, so this");
        md.AppendLine("run's speed is never reported; a slower proxy may find more bytes per read, so batching proxies can show slightly fewer calls");
        md.AppendLine("here than at full speed.").AppendLine();
        md.Append("| scenario / calls per operation |");
        foreach (var target in targets)
        {
            md.Append(' ').Append(target).Append(" |");
        }

        md.AppendLine(" wsb ÷ best peer |");
        md.Append("|---|").Append(string.Concat(targets.Select(_ => "---:|"))).AppendLine("---:|");
        foreach (var scenario in Order.Where(s => byKey.Keys.Any(k => k.Of == s)))
        {
            var row = targets.Select(t => byKey.GetValueOrDefault((t, scenario))).ToList();
            var unit = row.FirstOrDefault(r => r is not null)?["unit"]?.ToString() ?? "operation";
            md.Append(CultureInfo.InvariantCulture, $"| **{scenario}**, per {unit}: operations traced |");
            foreach (var result in row)
            {
                md.Append(' ').Append(result is null ? "n/a" : ReportWriter.Format(ReportWriter.Number(result["operations"]), 0) + (result["ok"]?.GetValue<bool>() == true ? "" : " ⚠")).Append(" |");
            }

            md.AppendLine(" |");
            foreach (var (field, label) in Groups)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {scenario}: {label} |");
                foreach (var result in row)
                {
                    md.Append(' ').Append(result is null ? "n/a" : ReportWriter.Format(PerOperation(result, field), 2)).Append(" |");
                }

                var ours = byKey.TryGetValue(("wsbalancer", scenario), out var wsb) ? PerOperation(wsb, field) : null;
                var best = Peers.Select(p => byKey.TryGetValue((p, scenario), out var peer) ? PerOperation(peer, field) : null).OfType<double>().DefaultIfEmpty(double.NaN).Min();
                md.AppendLine(CultureInfo.InvariantCulture, $" {(double.IsNaN(best) ? "–" : ReportWriter.Ratio(ours, best))} |");
            }

            md.Append(CultureInfo.InvariantCulture, $"| {scenario}: most frequent other calls |");
            foreach (var result in row)
            {
                md.Append(' ').Append(result is null ? "n/a" : Others(result)).Append(" |");
            }

            md.AppendLine(" |");
        }

        md.AppendLine();
        return md.ToString();
    }

    private static double? PerOperation(JsonObject result, string field) => ReportWriter.Number(result["perOperation"]?[field]);

    /// <summary>The three most frequent calls outside the groups, per operation, when at least 0.01.</summary>
    private static string Others(JsonObject result)
    {
        var operations = ReportWriter.Number(result["operations"]) ?? 0;
        if (operations <= 0 || result["calls"] is not JsonObject calls)
        {
            return "–";
        }

        var others = calls
            .Where(c => !SyscallGroups.IsGrouped(c.Key))
            .Select(c => (Name: c.Key, PerOperation: (ReportWriter.Number(c.Value) ?? ReportWriter.Number(c.Value?["calls"]) ?? 0) / operations))
            .Where(c => c.PerOperation >= 0.01)
            .OrderByDescending(c => c.PerOperation)
            .Take(3)
            .Select(c => $"{c.Name} {c.PerOperation.ToString("0.00", CultureInfo.InvariantCulture)}");
        var text = string.Join(", ", others);
        return text.Length == 0 ? "–" : text;
    }
}

using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// The system-call mode of a scenario (<c>--messages N</c>; the idle scenario's <c>--trace-seconds S</c>): instead of
/// timed windows, an untraced warm-up pass of <c>--warmup-messages</c> operations, then exactly N operations with the
/// target traced (<see cref="SyscallTrace"/>), with nothing in flight when the trace starts or stops. The JSON line is
/// a <c>"syscalls"</c> line (<c>of</c>: the scenario) with the target's calls per operation and no rate or latency:
/// a traced target is several times slower, so its speed means nothing.
/// </summary>
internal sealed record SyscallMode(long Count, long Warmup, string Strace)
{
    /// <summary>The scenario name of system-call lines; <c>of</c> says which scenario was traced.</summary>
    public const string Scenario = "syscalls";

    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    /// <summary>Null when <paramref name="countKey"/> is not given (a timed run); otherwise the count, the warm-up and strace's path.</summary>
    public static SyscallMode? Read(LoadArguments args, string countKey = "messages", bool warmup = true)
    {
        if (args.OptionalString(countKey) is null)
        {
            return null;
        }

        var count = args.Int(countKey, 0);
        return count > 0
            ? new SyscallMode(count, warmup ? args.Int("warmup-messages", Math.Max(1, count / 5)) : 0, args.String("strace", "strace"))
            : throw new ArgumentException($"--{countKey} must be positive");
    }

    /// <summary>
    /// The warm-up pass, then the traced pass of exactly <see cref="Count"/> operations. <paramref name="pass"/> runs
    /// the given number of operations spread over the scenario's workers and returns their summed counters.
    /// </summary>
    public async Task<JsonObject> RunAsync(ScenarioContext context, string scenario, string unit, Func<long, Task<WorkerStats>> pass)
    {
        var warm = Warmup > 0 ? await pass(Warmup) : new WorkerStats();
        await using var trace = await SyscallTrace.AttachAsync(context.Target, Strace, context.CancellationToken);
        var measured = await pass(Count);
        // What the target still does for the last operations (a churned session's backend leg closing) belongs to them.
        await Task.Delay(Settle, context.CancellationToken);
        var calls = await trace.StopAsync(context.CancellationToken);
        var result = NewResult(context, scenario, unit, measured.Operations, trace, calls);
        result["warmupOperations"] = warm.Operations;
        result["errors"] = warm.Errors + measured.Errors;
        result["lastError"] = warm.LastError ?? measured.LastError;
        result["ok"] = warm.Errors + measured.Errors == 0 && measured.Operations == Count;
        return result;
    }

    /// <summary><see cref="RunAsync"/> over open connections, one worker each, which are closed afterwards.</summary>
    public async Task<JsonObject> RunOverAsync(ScenarioContext context, string scenario, string unit, ClientWebSocket[] sockets, Func<ClientWebSocket, long, WorkerStats, Task> loop)
    {
        var result = await RunAsync(context, scenario, unit, total => PassAsync(sockets.Length, total, (i, share, counters) => loop(sockets[i], share, counters)));
        result["connections"] = sockets.Length;
        await Connector.CloseAllAsync(sockets, TimeSpan.FromSeconds(5));
        return result;
    }

    public static JsonObject NewResult(ScenarioContext context, string scenario, string unit, long operations, SyscallTrace trace, Dictionary<string, (long Calls, long Errors)> calls)
    {
        var result = ScenarioContext.NewResult(Scenario, context.Args.String("target", "unnamed"));
        result["of"] = scenario;
        result["unit"] = unit;
        result["operations"] = operations;
        trace.WriteTo(result, calls, operations);
        return result;
    }

    /// <summary>
    /// Runs <paramref name="total"/> operations over <paramref name="workers"/> workers, each its share (the remainder
    /// to the first ones), and sums their counters. <paramref name="loop"/> gets the worker, its share and its counters.
    /// </summary>
    public static async Task<WorkerStats> PassAsync(int workers, long total, Func<int, long, WorkerStats, Task> loop)
    {
        var stats = new WorkerStats[workers];
        var tasks = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            stats[i] = new WorkerStats();
            tasks[i] = loop(i, (total / workers) + (i < total % workers ? 1 : 0), stats[i]);
        }

        await Task.WhenAll(tasks);
        return WorkerStats.Sum(stats);
    }

    /// <summary>A phase that counts from the start and never stops by itself: the pass ends when each worker's share is done.</summary>
    public static Phase Counting()
    {
        var phase = new Phase();
        phase.StartMeasuring();
        return phase;
    }
}

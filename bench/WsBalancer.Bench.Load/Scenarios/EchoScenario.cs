using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// <c>echo</c>: N connections in a closed loop, one text message in flight each → round trips/s and latency.
/// <c>--payload x</c> (the default) sends <c>--size</c> bytes of <c>x</c> and checks the echo's type and length;
/// <c>--payload json</c> sends a JSON object of exactly <c>--size</c> bytes (for script valves that parse it) and checks
/// that the echo is byte for byte what was sent, so a rewriting script that does not restore it is an error.
/// </summary>
internal static class EchoScenario
{
    public static async Task<JsonObject> RunAsync(ScenarioContext context)
    {
        var connections = context.Args.Int("connections", 64);
        var size = context.Args.Int("size", 128);
        var kind = context.Args.String("payload", "x");
        var warmup = context.Args.Seconds("warmup", 2);
        var duration = context.Args.Seconds("duration", 10);
        var target = context.Args.String("target", "unnamed");
        var syscalls = SyscallMode.Read(context.Args);
        context.Args.EnsureAllRead();

        var sockets = await context.OpenAllAsync(connections, 32);
        var payload = EchoPayload.Create(kind, size);
        var exact = kind == EchoPayload.Json;
        if (syscalls is not null)
        {
            var traced = await syscalls.RunOverAsync(context, "echo", "round trip", sockets, (socket, share, counters) =>
                LoopAsync(socket, payload, exact, SyscallMode.Counting(), counters, share, context.CancellationToken));
            traced["size"] = size;
            return traced;
        }

        var phase = new Phase();
        var stats = new WorkerStats[connections];
        var tasks = new Task[connections];
        for (var i = 0; i < connections; i++)
        {
            stats[i] = new WorkerStats();
            tasks[i] = LoopAsync(sockets[i], payload, exact, phase, stats[i], long.MaxValue, context.CancellationToken);
        }

        var measurement = context.NewMeasurement();
        await Task.Delay(TimeSpan.FromSeconds(warmup), context.CancellationToken);
        phase.StartMeasuring();
        measurement.Start();
        await Task.Delay(TimeSpan.FromSeconds(duration), context.CancellationToken);
        measurement.Stop();
        phase.Stop();
        await DrainAsync(tasks, sockets);

        var total = WorkerStats.Sum(stats);
        var (latency, operations, errors, lastError) = (total.Latency, total.Operations, total.Errors, total.LastError);

        var result = ScenarioContext.NewResult("echo", target);
        result["connections"] = connections;
        result["size"] = size;
        result["payload"] = kind;
        result["roundTrips"] = operations;
        result["roundTripsPerSecond"] = Math.Round(operations / measurement.Seconds, 1);
        result["p50Us"] = latency.Percentile(50);
        result["p99Us"] = latency.Percentile(99);
        result["p999Us"] = latency.Percentile(99.9);
        result["maxUs"] = latency.Max;
        result["meanUs"] = Math.Round(latency.Mean, 1);
        result["errors"] = errors;
        result["lastError"] = lastError;
        result["ok"] = errors == 0 && operations > 0;
        measurement.WriteTo(result, operations);
        return result;
    }

    /// <summary>Lets every worker finish its round trip in flight, then closes; a stuck worker is aborted after 10 s.</summary>
    public static async Task DrainAsync(Task[] tasks, ClientWebSocket[] sockets)
    {
        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            foreach (var socket in sockets)
            {
                socket.Abort();
            }
        }

        await Connector.CloseAllAsync(sockets, TimeSpan.FromSeconds(5));
    }

    /// <summary>Round trips until the phase stops or <paramref name="limit"/> of them were counted.</summary>
    private static async Task LoopAsync(ClientWebSocket socket, byte[] payload, bool exact, Phase phase, WorkerStats stats, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Max(payload.Length * 2, 1024)];
        try
        {
            while (!phase.Stopped && stats.Operations < limit)
            {
                var started = Stopwatch.GetTimestamp();
                await socket.SendAsync(payload, WebSocketMessageType.Text, true, cancellationToken);
                var (type, count) = await Frames.ReceiveMessageAsync(socket, buffer, cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (type != WebSocketMessageType.Text || count != payload.Length)
                {
                    stats.Errors++;
                    stats.LastError = $"expected a {payload.Length}-byte text echo, got {type} of {count} bytes";
                    return;
                }

                if (exact && !buffer.AsSpan(0, count).SequenceEqual(payload))
                {
                    stats.Errors++;
                    stats.LastError = $"the echo differs from the message sent: {System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Min(count, 200))}";
                    return;
                }

                if (phase.Measuring)
                {
                    stats.Operations++;
                    stats.Latency.Record((long)(elapsed.Ticks / 10));
                }
            }
        }
        catch (Exception ex) when (Frames.IsConnectionError(ex))
        {
            stats.Errors++;
            stats.LastError = ex.Message;
        }
    }
}

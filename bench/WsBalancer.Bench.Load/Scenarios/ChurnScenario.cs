using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// <c>churn</c>: W workers, each in a loop: connect, one 128-byte echo, close handshake → sessions/s and the latency of
/// a whole session.
/// </summary>
internal static class ChurnScenario
{
    public static async Task<JsonObject> RunAsync(ScenarioContext context)
    {
        var workers = Math.Max(1, context.Args.Int("connections", 16));
        var size = context.Args.Int("size", 128);
        var warmup = context.Args.Seconds("warmup", 1);
        var duration = context.Args.Seconds("duration", 10);
        var target = context.Args.String("target", "unnamed");
        var syscalls = SyscallMode.Read(context.Args);
        context.Args.EnsureAllRead();

        var payload = new byte[size];
        payload.AsSpan().Fill((byte)'z');
        if (syscalls is not null)
        {
            var traced = await syscalls.RunAsync(context, "churn", "session", total => SyscallMode.PassAsync(workers, total, (_, share, counters) =>
                LoopAsync(context.Connector, payload, SyscallMode.Counting(), counters, share, context.CancellationToken)));
            traced["connections"] = workers;
            return traced;
        }

        var phase = new Phase();
        var stats = new WorkerStats[workers];
        var tasks = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            stats[i] = new WorkerStats();
            tasks[i] = LoopAsync(context.Connector, payload, phase, stats[i], long.MaxValue, context.CancellationToken);
        }

        var measurement = context.NewMeasurement();
        await Task.Delay(TimeSpan.FromSeconds(warmup), context.CancellationToken);
        phase.StartMeasuring();
        measurement.Start();
        await Task.Delay(TimeSpan.FromSeconds(duration), context.CancellationToken);
        measurement.Stop();
        phase.Stop();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(20), context.CancellationToken);

        var total = WorkerStats.Sum(stats);
        var (latency, sessions, errors, lastError) = (total.Latency, total.Operations, total.Errors, total.LastError);

        var result = ScenarioContext.NewResult("churn", target);
        result["connections"] = workers;
        result["sessions"] = sessions;
        result["sessionsPerSecond"] = Math.Round(sessions / measurement.Seconds, 1);
        result["p50Us"] = latency.Percentile(50);
        result["p99Us"] = latency.Percentile(99);
        result["maxUs"] = latency.Max;
        result["errors"] = errors;
        result["lastError"] = lastError;
        // A few failed sessions (ephemeral ports, TIME_WAIT) are reported but do not void the figure.
        result["ok"] = sessions > 0 && errors <= sessions / 100;
        measurement.WriteTo(result, sessions);
        return result;
    }

    /// <summary>Sessions until the phase stops or <paramref name="limit"/> of them were counted.</summary>
    private static async Task LoopAsync(Connector connector, byte[] payload, Phase phase, WorkerStats stats, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Max(payload.Length * 2, 1024)];
        while (!phase.Stopped && stats.Operations < limit)
        {
            var started = Stopwatch.GetTimestamp();
            ClientWebSocket? socket = null;
            try
            {
                socket = await connector.ConnectAsync(null, cancellationToken);
                await socket.SendAsync(payload, WebSocketMessageType.Text, true, cancellationToken);
                var (type, count) = await Frames.ReceiveMessageAsync(socket, buffer, cancellationToken);
                if (type != WebSocketMessageType.Text || count != payload.Length)
                {
                    throw new InvalidDataException($"expected a {payload.Length}-byte text echo, got {type} of {count} bytes");
                }

                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                if (phase.Measuring)
                {
                    stats.Operations++;
                    stats.Latency.Record(Stopwatch.GetElapsedTime(started).Ticks / 10);
                }
            }
            catch (Exception ex) when (Frames.IsConnectionError(ex) && !cancellationToken.IsCancellationRequested)
            {
                stats.Errors++;
                stats.LastError = ex.Message;
                await Task.Delay(10, CancellationToken.None);
            }
            finally
            {
                socket?.Dispose();
            }
        }
    }
}

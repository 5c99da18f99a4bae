using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// <c>pipelined</c> (N connections × K text messages in flight → messages/s) and <c>bulk</c> (large binary messages
/// → MiB/s of echoed payload). Each echo that arrives releases the next send, so K stays in flight.
/// </summary>
internal static class StreamScenario
{
    public static async Task<JsonObject> RunAsync(ScenarioContext context, bool bulk)
    {
        var connections = context.Args.Int("connections", bulk ? 8 : 64);
        var inFlight = Math.Max(1, context.Args.Int("inflight", bulk ? 2 : 16));
        var size = context.Args.Int("size", bulk ? 64 * 1024 : 128);
        var warmup = context.Args.Seconds("warmup", 2);
        var duration = context.Args.Seconds("duration", 10);
        var target = context.Args.String("target", "unnamed");
        var syscalls = SyscallMode.Read(context.Args);
        context.Args.EnsureAllRead();

        var sockets = await context.OpenAllAsync(connections, 32);
        var payload = new byte[size];
        payload.AsSpan().Fill((byte)'y');
        var type = bulk ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        if (syscalls is not null)
        {
            var traced = await syscalls.RunOverAsync(context, bulk ? "bulk" : "pipelined", "message", sockets, (socket, share, counters) =>
                LoopAsync(socket, payload, type, inFlight, SyscallMode.Counting(), counters, share, context.CancellationToken));
            traced["inFlight"] = inFlight;
            traced["size"] = size;
            return traced;
        }

        var phase = new Phase();
        var stats = new WorkerStats[connections];
        var tasks = new Task[connections];
        for (var i = 0; i < connections; i++)
        {
            stats[i] = new WorkerStats();
            tasks[i] = LoopAsync(sockets[i], payload, type, inFlight, phase, stats[i], long.MaxValue, context.CancellationToken);
        }

        var measurement = context.NewMeasurement();
        await Task.Delay(TimeSpan.FromSeconds(warmup), context.CancellationToken);
        phase.StartMeasuring();
        measurement.Start();
        await Task.Delay(TimeSpan.FromSeconds(duration), context.CancellationToken);
        measurement.Stop();
        phase.Stop();
        await EchoScenario.DrainAsync(tasks, sockets);

        var total = WorkerStats.Sum(stats);
        var (messages, bytes, errors, lastError) = (total.Operations, total.Bytes, total.Errors, total.LastError);

        var result = ScenarioContext.NewResult(bulk ? "bulk" : "pipelined", target);
        result["connections"] = connections;
        result["inFlight"] = inFlight;
        result["size"] = size;
        result["messages"] = messages;
        result["messagesPerSecond"] = Math.Round(messages / measurement.Seconds, 1);
        result["mibPerSecond"] = Math.Round(bytes / measurement.Seconds / (1024 * 1024), 2);
        result["errors"] = errors;
        result["lastError"] = lastError;
        result["ok"] = errors == 0 && messages > 0;
        // Bulk CPU is per MiB echoed, pipelined per message.
        measurement.WriteTo(result, bulk ? bytes / (1024 * 1024) : messages);
        return result;
    }

    /// <summary>Keeps <paramref name="inFlight"/> messages in flight until the phase stops or <paramref name="limit"/> were sent, then collects the rest.</summary>
    private static async Task LoopAsync(ClientWebSocket socket, byte[] payload, WebSocketMessageType type, int inFlight, Phase phase, WorkerStats stats, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Max(payload.Length * 2, 1024)];
        var outstanding = 0;
        long sent = 0;
        try
        {
            for (var i = 0; i < inFlight && sent < limit; i++)
            {
                await socket.SendAsync(payload, type, true, cancellationToken);
                outstanding++;
                sent++;
            }

            while (outstanding > 0)
            {
                var (receivedType, count) = await Frames.ReceiveMessageAsync(socket, buffer, cancellationToken);
                outstanding--;
                if (receivedType != type || count != payload.Length)
                {
                    stats.Errors++;
                    stats.LastError = $"expected a {payload.Length}-byte {type} echo, got {receivedType} of {count} bytes";
                    return;
                }

                if (phase.Measuring)
                {
                    stats.Operations++;
                    stats.Bytes += count;
                }

                // After the window, stop sending and collect what is still in flight, so the close is clean.
                if (!phase.Stopped && sent < limit)
                {
                    await socket.SendAsync(payload, type, true, cancellationToken);
                    outstanding++;
                    sent++;
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

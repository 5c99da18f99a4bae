using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// <c>idle</c>: opens M sessions and holds them → time to open all, and the target's RSS per held session. While
/// held it touches <c>--ready-file</c> and waits for <c>--release-file</c> (or <c>--hold</c> seconds), so a runner can
/// look at the processes; then one echo on every session proves they are all still alive.
/// </summary>
internal static class IdleScenario
{
    public static async Task<JsonObject> RunAsync(ScenarioContext context)
    {
        var count = context.Args.Int("connections", 10_000);
        var parallelism = Math.Max(1, context.Args.Int("parallel", 64));
        var hold = context.Args.Seconds("hold", 3);
        var settle = context.Args.Seconds("settle", 1);
        var readyFile = context.Args.OptionalString("ready-file");
        var releaseFile = context.Args.OptionalString("release-file");
        var target = context.Args.String("target", "unnamed");
        context.Args.EnsureAllRead();

        var rssBefore = context.Target.RssKiB();
        var sockets = new ClientWebSocket?[count];
        long failures = 0;
        string? lastError = null;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = context.CancellationToken }, async (i, ct) =>
        {
            // After many failures (file descriptors, ports) stop trying: the count opened is the result.
            if (Interlocked.Read(ref failures) > 100)
            {
                return;
            }

            try
            {
                sockets[i] = await context.Connector.ConnectAsync(null, ct);
            }
            catch (Exception ex) when (Frames.IsConnectionError(ex) && !ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref failures);
                lastError = ex.Message;
            }
        });
        var openSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var opened = 0;
        foreach (var socket in sockets)
        {
            opened += socket is null ? 0 : 1;
        }

        Console.Error.WriteLine($"idle: {opened}/{count} sessions open in {openSeconds:F2} s; holding");
        await Task.Delay(TimeSpan.FromSeconds(settle), context.CancellationToken);
        var rssHeld = context.Target.RssKiB();
        if (readyFile is not null)
        {
            await File.WriteAllTextAsync(readyFile, $"{opened}\n", context.CancellationToken);
        }

        var holdUntil = Stopwatch.GetTimestamp() + (long)(hold * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < holdUntil && (releaseFile is null || !File.Exists(releaseFile)))
        {
            await Task.Delay(100, context.CancellationToken);
        }

        var rssEnd = context.Target.RssKiB();
        var alive = await ProbeAllAsync(sockets, context.CancellationToken);
        await Connector.CloseAllAsync(sockets, TimeSpan.FromSeconds(10));

        var result = ScenarioContext.NewResult("idle", target);
        result["connections"] = count;
        result["opened"] = opened;
        result["failed"] = failures;
        result["lastError"] = lastError;
        result["openSeconds"] = Math.Round(openSeconds, 3);
        result["opensPerSecond"] = Math.Round(opened / openSeconds, 1);
        result["aliveAtEnd"] = alive;
        if (!context.Target.IsEmpty)
        {
            result["targetRssBeforeKiB"] = rssBefore;
            result["targetRssHeldKiB"] = rssHeld;
            result["targetRssEndKiB"] = rssEnd;
            result["targetRssPerSessionKiB"] = opened > 0 ? Math.Round((double)(rssHeld - rssBefore) / opened, 2) : null;
        }

        result["ok"] = opened == count && alive == opened;
        return result;
    }

    private static async Task<long> ProbeAllAsync(ClientWebSocket?[] sockets, CancellationToken cancellationToken)
    {
        long alive = 0;
        var payload = "idle-probe"u8.ToArray();
        await Parallel.ForEachAsync(sockets, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (socket, ct) =>
        {
            if (socket is null)
            {
                return;
            }

            var buffer = new byte[256];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await socket.SendAsync(payload, WebSocketMessageType.Text, true, timeout.Token);
                var (type, count) = await Frames.ReceiveMessageAsync(socket, buffer, timeout.Token);
                if (type == WebSocketMessageType.Text && count == payload.Length)
                {
                    Interlocked.Increment(ref alive);
                }
            }
            catch (Exception ex) when (Frames.IsConnectionError(ex) && !ct.IsCancellationRequested)
            {
            }
        });
        return alive;
    }
}

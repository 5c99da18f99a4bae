using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// <c>idle</c>: opens M sessions and holds them → time to open all, and the target's RSS per held session. While
/// held it touches <c>--ready-file</c> and waits for <c>--release-file</c> (or <c>--hold</c> seconds), so a runner can
/// look at the processes; then one echo on every session proves they are all still alive. <c>--prime N</c> first has
/// every open session echo N 128-byte text messages before the sessions are held and the RSS is read, so whatever a
/// proxy creates on a session's first message (a script valve's engine) exists in every held session.
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
        var prime = context.Args.Int("prime", 0);
        var target = context.Args.String("target", "unnamed");
        var syscalls = SyscallMode.Read(context.Args, "trace-seconds", warmup: false);
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

        long primed = 0;
        if (prime > 0)
        {
            var payload = new byte[128];
            payload.AsSpan().Fill((byte)'x');
            primed = await EchoAllAsync(sockets, payload, prime, context.CancellationToken);
        }

        Console.Error.WriteLine($"idle: {opened}/{count} sessions open in {openSeconds:F2} s{(prime > 0 ? $", {primed} primed with {prime} message(s)" : "")}; holding");
        await Task.Delay(TimeSpan.FromSeconds(settle), context.CancellationToken);
        if (syscalls is not null)
        {
            return await TraceHeldAsync(context, syscalls, sockets, opened, failures);
        }

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
        if (prime > 0)
        {
            result["primeMessages"] = prime;
            result["primed"] = primed;
        }

        result["aliveAtEnd"] = alive;
        if (!context.Target.IsEmpty)
        {
            result["targetRssBeforeKiB"] = rssBefore;
            result["targetRssHeldKiB"] = rssHeld;
            result["targetRssEndKiB"] = rssEnd;
            result["targetRssPerSessionKiB"] = opened > 0 ? Math.Round((double)(rssHeld - rssBefore) / opened, 2) : null;
        }

        result["ok"] = opened == count && alive == opened && (prime == 0 || primed == opened);
        return result;
    }

    /// <summary>The system-call mode: the target traced for <c>--trace-seconds</c> while the sessions are held, per held session.</summary>
    private static async Task<JsonObject> TraceHeldAsync(ScenarioContext context, SyscallMode syscalls, ClientWebSocket?[] sockets, int opened, long failures)
    {
        JsonObject result;
        await using (var trace = await SyscallTrace.AttachAsync(context.Target, syscalls.Strace, context.CancellationToken))
        {
            await Task.Delay(TimeSpan.FromSeconds(syscalls.Count), context.CancellationToken);
            result = SyscallMode.NewResult(context, "idle", $"session held {syscalls.Count} s", opened, trace, await trace.StopAsync(context.CancellationToken));
        }

        var alive = await ProbeAllAsync(sockets, context.CancellationToken);
        await Connector.CloseAllAsync(sockets, TimeSpan.FromSeconds(10));
        result["connections"] = sockets.Length;
        result["failed"] = failures;
        result["aliveAtEnd"] = alive;
        result["ok"] = opened == sockets.Length && alive == opened;
        return result;
    }

    private static Task<long> ProbeAllAsync(ClientWebSocket?[] sockets, CancellationToken cancellationToken) =>
        EchoAllAsync(sockets, "idle-probe"u8.ToArray(), 1, cancellationToken);

    /// <summary>Sends <paramref name="payload"/> <paramref name="times"/> times on every open session, each time awaiting its echo; the sessions that echoed them all.</summary>
    private static async Task<long> EchoAllAsync(ClientWebSocket?[] sockets, byte[] payload, int times, CancellationToken cancellationToken)
    {
        long alive = 0;
        await Parallel.ForEachAsync(sockets, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (socket, ct) =>
        {
            if (socket is null)
            {
                return;
            }

            var buffer = new byte[Math.Max(256, payload.Length * 2)];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                for (var n = 0; n < times; n++)
                {
                    await socket.SendAsync(payload, WebSocketMessageType.Text, true, timeout.Token);
                    var (type, count) = await Frames.ReceiveMessageAsync(socket, buffer, timeout.Token);
                    if (type != WebSocketMessageType.Text || count != payload.Length)
                    {
                        return;
                    }
                }

                Interlocked.Increment(ref alive);
            }
            catch (Exception ex) when (Frames.IsConnectionError(ex) && !ct.IsCancellationRequested)
            {
            }
        });
        return alive;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// <c>failover</c>: S sessions stream numbered text messages ("session:seq") at a fixed rate; at <c>--kill-at</c> the
/// harness calls one echo backend's kill endpoint (it closes all its connections with 1011). Reports sessions that saw
/// a close, lost / duplicated / reordered echoes, the longest silence each affected session saw, and the worst echo
/// latency of the messages each session sent from the kill on (the silence includes the sending interval, so only the
/// latency shows how much delay the failover adds). Lost messages are split by what the dying backend says it
/// received after the kill: those were in flight inside it, beyond any proxy's reach; the rest were lost by the path
/// in between.
/// </summary>
internal static class FailoverScenario
{
    public static async Task<JsonObject> RunAsync(ScenarioContext context)
    {
        var count = context.Args.Int("connections", 200);
        var rate = Math.Max(1, context.Args.Int("rate", 20));
        var duration = context.Args.Seconds("duration", 10);
        var killAt = context.Args.Seconds("kill-at", duration * 0.4);
        var drain = context.Args.Seconds("drain", 3);
        var killUrl = context.Args.OptionalString("kill-url");
        var target = context.Args.String("target", "unnamed");
        context.Args.EnsureAllRead();

        Uri? kill = null;
        if (killUrl is not null)
        {
            kill = new Uri(killUrl);
            if (!kill.IsLoopback)
            {
                throw new ArgumentException($"--kill-url must point at loopback, got '{kill.Host}'");
            }
        }

        var capacity = (int)(rate * (duration + 1)) + 16;
        var sockets = await context.OpenAllAsync(count, 32, i => $"s/{i}");
        var sessions = new Session[count];
        for (var i = 0; i < count; i++)
        {
            sessions[i] = new Session(i, sockets[i], capacity);
        }

        var phase = new Phase();
        var clock = Stopwatch.StartNew();
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var receivers = new Task[count];
        var senders = new Task[count];
        var killTicks = long.MaxValue;
        for (var i = 0; i < count; i++)
        {
            receivers[i] = sessions[i].ReceiveAsync(clock, () => Volatile.Read(ref killTicks), context.CancellationToken);
            // Spread the sessions' send instants over one interval.
            senders[i] = sessions[i].SendAsync(clock, interval, TimeSpan.FromTicks(interval.Ticks * i / count), phase, context.CancellationToken);
        }

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var measurement = context.NewMeasurement();
        measurement.Start();
        phase.StartMeasuring();
        await Task.Delay(TimeSpan.FromSeconds(killAt), context.CancellationToken);
        string? killReply = null;
        if (kill is not null)
        {
            Volatile.Write(ref killTicks, clock.Elapsed.Ticks);
            using var response = await http.PostAsync(kill, null, context.CancellationToken);
            killReply = await response.Content.ReadAsStringAsync(context.CancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, duration - killAt)), context.CancellationToken);
        phase.Stop();
        var stopTicks = clock.Elapsed.Ticks;
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(10), context.CancellationToken);
        var drainUntil = clock.Elapsed + TimeSpan.FromSeconds(drain);
        while (clock.Elapsed < drainUntil && !AllEchoed(sessions))
        {
            await Task.Delay(50, context.CancellationToken);
        }

        measurement.Stop();
        foreach (var session in sessions)
        {
            session.MarkEnding();
        }


        JsonNode? backendStats = null;
        if (kill is not null)
        {
            backendStats = JsonNode.Parse(await http.GetStringAsync(new Uri(kill, "/stats?payloads=1"), context.CancellationToken));
            using var revived = await http.PostAsync(new Uri(kill, "/revive"), null, context.CancellationToken);
        }

        await Connector.CloseAllAsync(sockets, TimeSpan.FromSeconds(5));
        await Task.WhenAll(receivers).WaitAsync(TimeSpan.FromSeconds(10), context.CancellationToken);

        var inBackend = new HashSet<string>(StringComparer.Ordinal);
        var onDyingBackend = new HashSet<int>();
        long backendAfterKill = 0;
        if (backendStats?["afterKill"] is JsonObject afterKill)
        {
            backendAfterKill = afterKill["messages"]?.GetValue<long>() ?? 0;
            foreach (var payload in afterKill["payloads"]?.AsArray() ?? [])
            {
                inBackend.Add(payload!.GetValue<string>());
            }

            foreach (var path in afterKill["paths"]?.AsArray() ?? [])
            {
                var text = path!.GetValue<string>();
                if (text.StartsWith("/s/", StringComparison.Ordinal) && int.TryParse(text.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    onDyingBackend.Add(index);
                }
            }
        }

        long sent = 0, echoed = 0, duplicates = 0, reordered = 0, malformed = 0, lost = 0, lostInBackend = 0, lostOnOpen = 0, lostOnClosed = 0, closed = 0;
        var gaps = new LatencyHistogram();
        long unaffectedGapMax = 0;
        var recovery = new LatencyHistogram();
        long? unaffectedRecoveryMax = null;
        var closeCodes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            sent += session.Sent;
            echoed += session.Unique;
            duplicates += session.Duplicates;
            reordered += session.Reordered;
            malformed += session.Malformed;
            if (session.Closed)
            {
                closed++;
                var key = session.CloseInfo ?? "?";
                closeCodes[key] = closeCodes.GetValueOrDefault(key) + 1;
            }

            for (var seq = 0; seq < session.Sent; seq++)
            {
                if (session.Seen[seq])
                {
                    continue;
                }

                lost++;
                if (inBackend.Contains(string.Create(CultureInfo.InvariantCulture, $"{session.Index}:{seq}")))
                {
                    lostInBackend++;
                }
                else if (session.Closed)
                {
                    lostOnClosed++;
                }
                else
                {
                    lostOnOpen++;
                }
            }

            // The longest silence from the kill on, counting a session still silent when the senders stopped.
            var gapTicks = Math.Max(session.MaxGapAfterKillTicks, Math.Max(0, stopTicks - session.LastArrivalTicksBeforeEnd));
            var gapUs = gapTicks / 10;
            var affected = kill is not null && (onDyingBackend.Count == 0 || onDyingBackend.Contains(session.Index));
            // A session none of whose messages sent from the kill on came back has no latency to add; it shows in
            // affectedOpenSessions − recoverySessions (and in the losses).
            var worstLatencyUs = session.Recovery.WorstTicks / 10;
            if (affected && !session.Closed)
            {
                gaps.Record(gapUs);
                if (worstLatencyUs is long worst)
                {
                    recovery.Record(worst);
                }
            }
            else if (!affected)
            {
                unaffectedGapMax = Math.Max(unaffectedGapMax, gapUs);
                if (worstLatencyUs is long worst)
                {
                    unaffectedRecoveryMax = Math.Max(unaffectedRecoveryMax ?? 0, worst);
                }
            }
        }

        var result = ScenarioContext.NewResult("failover", target);
        result["connections"] = count;
        result["ratePerSession"] = rate;
        result["killAtSeconds"] = killAt;
        result["killReply"] = killReply;
        result["sessionsOnDyingBackend"] = onDyingBackend.Count;
        result["sessionsClosed"] = closed;
        result["closeCodes"] = string.Join(' ', closeCodes.Select(kv => $"{kv.Key}x{kv.Value}"));
        result["sent"] = sent;
        result["echoed"] = echoed;
        result["lost"] = lost;
        result["lostInDyingBackend"] = lostInBackend;
        result["lostOnClosedSessions"] = lostOnClosed;
        result["lostOnOpenSessions"] = lostOnOpen;
        result["duplicated"] = duplicates;
        result["reordered"] = reordered;
        result["malformed"] = malformed;
        result["backendReceivedAfterKill"] = backendAfterKill;
        result["affectedOpenSessions"] = gaps.Count;
        // No affected session stayed open (a proxy that closes them, or no kill): there is no gap to report.
        result["gapP50Ms"] = gaps.Count == 0 ? null : Math.Round(gaps.Percentile(50) / 1000.0, 1);
        result["gapP99Ms"] = gaps.Count == 0 ? null : Math.Round(gaps.Percentile(99) / 1000.0, 1);
        result["gapMaxMs"] = gaps.Count == 0 ? null : Math.Round(gaps.Max / 1000.0, 1);
        result["unaffectedGapMaxMs"] = Math.Round(unaffectedGapMax / 1000.0, 1);
        result["recoverySessions"] = recovery.Count;
        result["recoveryP50Ms"] = recovery.Count == 0 ? null : Math.Round(recovery.Percentile(50) / 1000.0, 1);
        result["recoveryP99Ms"] = recovery.Count == 0 ? null : Math.Round(recovery.Percentile(99) / 1000.0, 1);
        result["recoveryMaxMs"] = recovery.Count == 0 ? null : Math.Round(recovery.Max / 1000.0, 1);
        result["unaffectedRecoveryMaxMs"] = unaffectedRecoveryMax is long unaffectedWorst ? Math.Round(unaffectedWorst / 1000.0, 1) : null;
        result["ok"] = sent > 0 && malformed == 0;
        measurement.WriteTo(result, echoed);
        return result;
    }

    private static bool AllEchoed(Session[] sessions)
    {
        foreach (var session in sessions)
        {
            if (!session.Closed && session.Unique < session.Sent)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Session(int index, ClientWebSocket socket, int capacity)
    {
        public int Index { get; } = index;

        public bool[] Seen { get; } = new bool[capacity];

        public RecoveryLatency Recovery { get; } = new(capacity);

        public int Sent { get; private set; }

        public long Unique { get; private set; }

        public long Duplicates { get; private set; }

        public long Reordered { get; private set; }

        public long Malformed { get; private set; }

        public bool Closed => _closed;

        public string? CloseInfo { get; private set; }

        public long LastArrivalTicks { get; private set; }

        /// <summary>The last arrival before <see cref="MarkEnding"/>, so the final close handshake does not count.</summary>
        public long LastArrivalTicksBeforeEnd { get; private set; }

        public long MaxGapAfterKillTicks { get; private set; }

        private volatile bool _closed;
        private volatile bool _ending;

        public void MarkEnding()
        {
            LastArrivalTicksBeforeEnd = LastArrivalTicks;
            _ending = true;
        }

        public async Task SendAsync(Stopwatch clock, TimeSpan interval, TimeSpan offset, Phase phase, CancellationToken cancellationToken)
        {
            await Task.Delay(offset, cancellationToken);
            using var timer = new PeriodicTimer(interval);
            var buffer = new byte[32];
            do
            {
                if (_closed || phase.Stopped || Sent >= Seen.Length)
                {
                    return;
                }

                var length = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Index}:{Sent}"), buffer);
                try
                {
                    // Before the send: a send held up by the proxy is part of the latency.
                    Recovery.Sent(Sent, clock.Elapsed.Ticks);
                    await socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, true, cancellationToken);
                    Sent++;
                }
                catch (Exception ex) when (Frames.IsConnectionError(ex) && !cancellationToken.IsCancellationRequested)
                {
                    MarkClosed("send failed");
                    return;
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }

        public async Task ReceiveAsync(Stopwatch clock, Func<long> killTicks, CancellationToken cancellationToken)
        {
            var buffer = new byte[256];
            LastArrivalTicks = clock.Elapsed.Ticks;
            try
            {
                while (true)
                {
                    var (type, count) = await Frames.ReceiveMessageAsync(socket, buffer, cancellationToken);
                    if (type == WebSocketMessageType.Close)
                    {
                        if (_ending)
                        {
                            return;
                        }

                        MarkClosed(((int?)socket.CloseStatus)?.ToString(CultureInfo.InvariantCulture) ?? "close");
                        return;
                    }

                    var now = clock.Elapsed.Ticks;
                    var kill = killTicks();
                    if (now >= kill)
                    {
                        MaxGapAfterKillTicks = Math.Max(MaxGapAfterKillTicks, now - LastArrivalTicks);
                    }

                    LastArrivalTicks = now;
                    Record(buffer.AsSpan(0, count), now, kill);
                }
            }
            catch (Exception ex) when (Frames.IsConnectionError(ex) || ex is InvalidOperationException)
            {
                // Our own close at the end also lands here; only an unexpected ending counts as a close seen.
                if (!_ending)
                {
                    MarkClosed("broken");
                }
            }
        }

        private void Record(ReadOnlySpan<byte> text, long arrivalTicks, long killTicks)
        {
            var colon = text.IndexOf((byte)':');
            if (colon <= 0
                || !int.TryParse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index != Index
                || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
                || seq >= Seen.Length)
            {
                Malformed++;
                return;
            }

            if (Seen[seq])
            {
                Duplicates++;
                return;
            }

            Seen[seq] = true;
            Unique++;
            Recovery.Echoed(seq, arrivalTicks, killTicks);
            if (seq < _maxSeq)
            {
                Reordered++;
            }

            _maxSeq = Math.Max(_maxSeq, seq);
        }

        private int _maxSeq = -1;

        private void MarkClosed(string info)
        {
            if (!_closed)
            {
                CloseInfo = info;
                _closed = true;
            }
        }
    }
}

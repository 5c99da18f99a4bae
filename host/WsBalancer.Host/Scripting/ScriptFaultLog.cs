using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// Logs failing script calls with file:line, at most once per <see cref="Window"/> per script, with how many failed
/// meanwhile: a script failing on every message cannot flood the log. Also keeps the last fault per script for the API.
/// </summary>
internal sealed class ScriptFaultLog
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<ScriptSlot, Counter> _counters = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ScriptFaultLog(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
    }

    public void Report(ScriptSlot slot, string hook, ScriptFault fault)
    {
        slot.LastFault = $"{fault.Kind}: {fault.Message} ({fault.Location})";
        var counter = _counters.GetOrAdd(slot, static _ => new Counter());
        long? count;
        lock (counter)
        {
            counter.Count++;
            var now = _time.GetTimestamp();
            if (counter.OpenedAt != 0 && _time.GetElapsedTime(counter.OpenedAt, now) < Window)
            {
                count = null;
            }
            else
            {
                count = counter.Count;
                counter.Count = 0;
                counter.OpenedAt = now;
            }
        }

        if (count is { } logged)
        {
            ScriptingLog.CallFailed(_logger, slot.Name, hook, fault.Kind.ToString(), fault.Location, fault.Message, logged, (int)Window.TotalSeconds);
        }

        if (_counters.Count > 4096)
        {
            _counters.Clear(); // slots of deleted scripts: only counters, so forgetting them costs a log line at most
        }
    }

    private sealed class Counter
    {
        public long Count;
        public long OpenedAt;
    }
}

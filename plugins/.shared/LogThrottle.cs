namespace WsBalancer.Plugins.Shared;

/// <summary>Counts occurrences of something that could flood the log and lets it be logged at most once per interval.</summary>
internal sealed class LogThrottle
{
    private const long Never = long.MinValue;

    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private long _pending;
    private long _lastReported = Never;

    public LogThrottle(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _interval = interval;
    }

    /// <summary>Counts <paramref name="count"/> occurrences.</summary>
    /// <returns>The occurrences to report now (including earlier unreported ones), or 0 when the last report is too recent.</returns>
    public long Add(long count = 1)
    {
        Interlocked.Add(ref _pending, count);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastReported);
        if (last != Never && _time.GetElapsedTime(last, now) < _interval)
        {
            return 0;
        }

        // One caller wins the report; the others' counts stay pending for it or the next one.
        return Interlocked.CompareExchange(ref _lastReported, now, last) == last ? Interlocked.Exchange(ref _pending, 0) : 0;
    }

    /// <summary>The occurrences not reported yet, for a final report.</summary>
    public long TakePending() => Interlocked.Exchange(ref _pending, 0);
}

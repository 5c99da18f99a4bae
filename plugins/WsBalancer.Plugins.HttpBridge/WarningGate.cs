namespace WsBalancer.Plugins.HttpBridge;

/// <summary>
/// Lets one warning through per interval and counts the rest: a backend that goes down fails every session's
/// request at once, and one line per backend per interval says as much as thousands.
/// </summary>
internal sealed class WarningGate
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _next;
    private int _suppressed;

    public WarningGate(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>True when a warning may be logged now; <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool TryEnter(out int suppressed)
    {
        var now = _time.GetTimestamp();
        var next = Interlocked.Read(ref _next);
        if (now >= next && Interlocked.CompareExchange(ref _next, now + _intervalTicks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}

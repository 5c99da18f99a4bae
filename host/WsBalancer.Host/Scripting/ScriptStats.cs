namespace WsBalancer.Host.Scripting;

/// <summary>
/// Counters and a latency histogram of one script (by name, across its versions), updated lock-free from every session.
/// </summary>
internal sealed class ScriptStats
{
    // Bucket i holds calls of less than 2^i microseconds; the last holds everything longer (over about 1 s).
    private const int Buckets = 21;

    private readonly long[] _latency = new long[Buckets];
    private long _calls;
    private long _drops;
    private long _modifies;
    private long _replies;
    private long _errors;
    private long _limitBreaks;
    private long _totalMicros;

    public long Calls => Interlocked.Read(ref _calls);

    public long Drops => Interlocked.Read(ref _drops);

    public long Modifies => Interlocked.Read(ref _modifies);

    public long Replies => Interlocked.Read(ref _replies);

    public long Errors => Interlocked.Read(ref _errors);

    public long LimitBreaks => Interlocked.Read(ref _limitBreaks);

    public double AverageMicros => Calls == 0 ? 0 : (double)Interlocked.Read(ref _totalMicros) / Calls;

    public void Call(long micros)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _totalMicros, micros);
        var bucket = micros <= 0 ? 0 : Math.Min(Buckets - 1, 64 - long.LeadingZeroCount(micros));
        Interlocked.Increment(ref _latency[bucket]);
    }

    public void Dropped() => Interlocked.Increment(ref _drops);

    public void Modified() => Interlocked.Increment(ref _modifies);

    public void Replied() => Interlocked.Increment(ref _replies);

    public void Failed(bool limitBreak)
    {
        Interlocked.Increment(ref _errors);
        if (limitBreak)
        {
            Interlocked.Increment(ref _limitBreaks);
        }
    }

    /// <summary>The 99th percentile of call time, as the upper bound of its histogram bucket (a power of two), in microseconds.</summary>
    public long P99Micros()
    {
        var total = Calls;
        if (total == 0)
        {
            return 0;
        }

        var threshold = (long)Math.Ceiling(total * 0.99);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += Interlocked.Read(ref _latency[i]);
            if (seen >= threshold)
            {
                return 1L << i;
            }
        }

        return 1L << (Buckets - 1);
    }
}

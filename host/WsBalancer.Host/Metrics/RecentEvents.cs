namespace WsBalancer.Host.Metrics;

/// <summary>
/// Counts events over a sliding window in one-second buckets, so "failovers in the last 5 minutes" is an answer the
/// server gives, not one a page that just opened would have to have watched for.
/// </summary>
internal sealed class RecentEvents
{
    private readonly TimeProvider _time;
    private readonly long[] _stamps; // the second each bucket counts, so a stale bucket is recognised and reset
    private readonly long[] _counts;
    private readonly Lock _gate = new(); // events counted here are rare (failovers), so a lock costs nothing that matters
    private long _total;

    public RecentEvents(TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromSeconds(1));
        _time = time;
        var seconds = (int)Math.Ceiling(window.TotalSeconds);
        _stamps = new long[seconds];
        _counts = new long[seconds];
        Array.Fill(_stamps, long.MinValue);
    }

    /// <summary>Every event since start.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Record()
    {
        var now = CurrentSecond();
        var slot = (int)(now % _stamps.Length);
        lock (_gate)
        {
            if (_stamps[slot] != now)
            {
                _stamps[slot] = now;
                _counts[slot] = 0;
            }

            _counts[slot]++;
        }

        Interlocked.Increment(ref _total);
    }

    /// <summary>Events within the window ending now.</summary>
    public long InWindow()
    {
        var now = CurrentSecond();
        long sum = 0;
        lock (_gate)
        {
            for (var i = 0; i < _stamps.Length; i++)
            {
                if (now - _stamps[i] < _stamps.Length)
                {
                    sum += _counts[i];
                }
            }
        }

        return sum;
    }

    private long CurrentSecond() => _time.GetUtcNow().ToUnixTimeSeconds();
}

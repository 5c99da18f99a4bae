namespace WsBalancer.Bench.Load;

/// <summary>
/// A fixed-bucket log-linear histogram of microseconds (HdrHistogram-like): 64 linear sub-buckets per power of two,
/// so any recorded value is reported within 1/64 (under 1.6 %). Values above about 2^46 µs are clamped.
/// One instance per worker (not thread-safe); merge them at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBucketCount = 1 << SubBucketBits;
    private const int MaxExponent = 40;
    private const int LastIndex = ((MaxExponent + 1) * SubBucketCount) - 1;

    private readonly long[] _counts = new long[(MaxExponent + 1) * SubBucketCount];

    public long Count { get; private set; }

    public long Max { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public double Sum { get; private set; }

    public double Mean => Count == 0 ? 0 : Sum / Count;

    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        _counts[IndexOf(value)]++;
        Count++;
        Sum += value;
        if (value > Max)
        {
            Max = value;
        }

        if (value < Min)
        {
            Min = value;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Sum += other.Sum;
        Max = Math.Max(Max, other.Max);
        Min = Math.Min(Min, other.Min);
    }

    /// <summary>The value at <paramref name="percentile"/> (0-100), as the upper edge of its bucket, capped at Max.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * Count);
        rank = Math.Clamp(rank, 1, Count);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperEdgeOf(i), Max);
            }
        }

        return Max;
    }

    private static int IndexOf(long value)
    {
        if (value < SubBucketCount)
        {
            return (int)value;
        }

        // Exponent e >= 1 holds [2^(e+6), 2^(e+7)) in sub-buckets 64..127 of width 2^e.
        var log2 = 63 - long.LeadingZeroCount(value);
        var exponent = (int)log2 - SubBucketBits + 1;
        if (exponent > MaxExponent)
        {
            return LastIndex;
        }

        var sub = (int)(value >> exponent);
        return (exponent * SubBucketCount) + sub;
    }

    private static long UpperEdgeOf(int index)
    {
        var exponent = index / SubBucketCount;
        var sub = index % SubBucketCount;
        return exponent == 0 ? sub : (((long)sub + 1) << exponent) - 1;
    }
}

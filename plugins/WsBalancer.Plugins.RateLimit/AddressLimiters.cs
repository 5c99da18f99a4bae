namespace WsBalancer.Plugins.RateLimit;

/// <summary>The address limit's bucket of one remote address (or the shared one).</summary>
internal sealed class AddressPartition(string? address, MessageBucket bucket)
{
    private volatile bool _evicted;

    /// <summary>The remote address, or null for the shared partition.</summary>
    public string? Address { get; } = address;

    public MessageBucket Bucket { get; } = bucket;

    /// <summary>Set when the partition was forgotten: its sessions look their address up again.</summary>
    public bool IsEvicted => _evicted;

    public void Evict() => _evicted = true;
}

/// <summary>
/// The address limit: one token bucket per remote address, shared by all its sessions, for at most
/// <c>max-addresses</c> addresses. Sessions without an address, and new addresses while the table is full of busy
/// ones, share one more bucket.
/// </summary>
/// <remarks>
/// When the table is full, a new address triggers a sweep (at most once per <see cref="SweepInterval"/>, as it visits
/// every entry) that forgets the addresses whose bucket is full again: they have been quiet for at least
/// burst ÷ rate seconds, and forgetting a full bucket changes nothing for them. Lookups happen when a session starts
/// or fails over, never per message.
/// </remarks>
internal sealed class AddressLimiters : IDisposable
{
    internal static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private const long Never = long.MinValue;

    private readonly Dictionary<string, AddressPartition> _partitions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly double _perSecond;
    private readonly int _burst;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private long _lastSweep = Never;

    public AddressLimiters(double perSecond, int burst, int capacity, TimeProvider time)
    {
        _perSecond = perSecond;
        _burst = burst;
        _capacity = capacity;
        _time = time;
        Shared = new AddressPartition(null, new MessageBucket(perSecond, burst));
    }

    /// <summary>The partition of sessions without an address and of addresses that found the table full.</summary>
    public AddressPartition Shared { get; }

    /// <summary>Addresses with their own partition now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _partitions.Count;
            }
        }
    }

    /// <summary>The partition for <paramref name="address"/>, created when there is room.</summary>
    /// <param name="address">The remote address, or null when unknown.</param>
    /// <param name="overflowed">True when the address got <see cref="Shared"/> because the table was full.</param>
    /// <param name="swept">How many idle addresses were forgotten to make room.</param>
    /// <returns>The partition whose bucket the session's messages take from.</returns>
    public AddressPartition Resolve(string? address, out bool overflowed, out int swept)
    {
        overflowed = false;
        swept = 0;
        if (address is null)
        {
            return Shared;
        }

        lock (_lock)
        {
            if (_partitions.TryGetValue(address, out var partition))
            {
                return partition;
            }

            if (_partitions.Count >= _capacity)
            {
                swept = SweepIfDue();
                if (_partitions.Count >= _capacity)
                {
                    overflowed = true;
                    return Shared;
                }
            }

            partition = new AddressPartition(address, new MessageBucket(_perSecond, _burst));
            _partitions.Add(address, partition);
            return partition;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var partition in _partitions.Values)
            {
                partition.Bucket.Dispose();
            }

            _partitions.Clear();
        }

        Shared.Bucket.Dispose();
    }

    private int SweepIfDue()
    {
        var now = _time.GetTimestamp();
        if (_lastSweep != Never && _time.GetElapsedTime(_lastSweep, now) < SweepInterval)
        {
            return 0;
        }

        _lastSweep = now;
        var swept = 0;
        foreach (var (address, partition) in _partitions)
        {
            if (partition.Bucket.IsFull())
            {
                // Not disposed: a session may still hold it until it sees the eviction, and it has no timer to stop.
                partition.Evict();
                _partitions.Remove(address);
                swept++;
            }
        }

        return swept;
    }
}

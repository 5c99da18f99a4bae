using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// The process-wide budget for message bytes sessions hold (<c>server.buffer-budget</c>): client messages queued for
/// a backend on the message path, and on the relay the bytes of a message in progress kept for a replay. Each session
/// charges its holding through its own <see cref="BufferAccount"/>; a queue asks <see cref="Admits"/> before it takes
/// more, and waits for <see cref="Room"/> when refused.
/// </summary>
/// <remarks>
/// <para>
/// The rule, so that the sessions holding the most are back-pressured first: under the budget everything is admitted.
/// Over it, a session holding no more than its fair share (the budget divided by the sessions holding anything) may
/// still add up to the ceiling (the budget plus an eighth), so a session with a little queued behind a busy backend
/// is not stopped by one that holds megabytes; past the ceiling everyone waits. A session holding nothing is admitted
/// while the level is under the budget even with a message larger than the room left, as an empty pending queue takes
/// any one message: otherwise a budget smaller than a message would stop it for ever.
/// </para>
/// <para>
/// Hot path: an account touches the shared counters only when its holding changes; a relay session whose messages
/// fit in one read never does. Waiters are woken only by a release, and only when one is waiting.
/// </para>
/// </remarks>
internal sealed class BufferBudget
{
    // A budget reached under load is reached over and over: one warning per interval says it.
    private static readonly long WarningIntervalMs = (long)TimeSpan.FromSeconds(10).TotalMilliseconds;

    private readonly Lock _gate = new();
    private readonly ILogger? _logger;
    private long _lastWarning = long.MinValue / 2;
    private long _used;
    private int _holders;
    private long _refusals;
    private TaskCompletionSource? _room;

    /// <param name="limit">Bytes; at least 1.</param>
    /// <param name="logger">Where a refusal is said (at most once per 10 s); none in unit tests.</param>
    public BufferBudget(long limit, ILogger? logger = null)
    {
        _logger = logger;
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        Ceiling = limit + (limit / 8);
    }

    /// <summary>The budget, bytes.</summary>
    public long Limit { get; }

    /// <summary>Past this level even a session under its fair share waits: the budget plus an eighth.</summary>
    public long Ceiling { get; }

    /// <summary>Bytes held across all sessions now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Sessions holding anything now.</summary>
    public int Holders => Volatile.Read(ref _holders);

    /// <summary>Times a session was made to wait by the budget since the process started.</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>Whether a session holding <paramref name="held"/> bytes may take <paramref name="more"/> now.</summary>
    public bool Admits(long held, long more)
    {
        var used = Used;
        if (used + more <= Limit || (held == 0 && used < Limit))
        {
            return true;
        }

        var fairShare = Limit / Math.Max(1, Holders);
        return held + more <= fairShare && used + more <= Ceiling;
    }

    /// <summary>
    /// A task completed by the next release. Take it before checking <see cref="Admits"/> again, so that a release
    /// between a refusal and the wait is not missed.
    /// </summary>
    public Task Room()
    {
        lock (_gate)
        {
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Counts a wait <see cref="Admits"/> caused (for the metric), and says so in the log now and then.</summary>
    public void CountRefusal()
    {
        var waits = Interlocked.Increment(ref _refusals);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarning);
        if (_logger is not null && now - last >= WarningIntervalMs && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            SessionsLog.BufferBudgetReached(_logger, Used, Limit, Holders, waits);
        }
    }

    internal void Charge(long bytes, bool firstBytes)
    {
        if (firstBytes)
        {
            Interlocked.Increment(ref _holders);
        }

        Interlocked.Add(ref _used, bytes);
    }

    internal void Release(long bytes, bool lastBytes)
    {
        if (lastBytes)
        {
            Interlocked.Decrement(ref _holders);
        }

        Interlocked.Add(ref _used, -bytes);
        if (Volatile.Read(ref _room) is not null)
        {
            WakeWaiters();
        }
    }

    private void WakeWaiters()
    {
        TaskCompletionSource? room;
        lock (_gate)
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult(); // continuations run asynchronously: never on the releasing thread
    }
}

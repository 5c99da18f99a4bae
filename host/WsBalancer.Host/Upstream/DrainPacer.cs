namespace WsBalancer.Host.Upstream;

/// <summary>
/// When a backend drain may start its next move: at most <see cref="Rate"/> moves a second, evenly spaced (no burst
/// after a quiet spell), and after <see cref="FailuresToPause"/> failed moves in a row a pause, left only by a
/// single trial move after a back-off that doubles with each failed trial.
/// </summary>
/// <remarks>Not thread-safe: one drain's loop owns it.</remarks>
internal sealed class DrainPacer
{
    /// <summary>Failed moves in a row that pause the drain: the targets are down, full or refusing.</summary>
    public const int FailuresToPause = 3;

    /// <summary>The first wait before a trial move once paused.</summary>
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between trial moves, however often they fail.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private TimeSpan _interval;
    private long _nextStart;
    private int _consecutiveFailures;
    private TimeSpan _backoff = InitialBackoff;

    /// <param name="rate">Moves per second; positive.</param>
    /// <param name="time">The clock of the spacing and the back-off.</param>
    public DrainPacer(double rate, TimeProvider time)
    {
        _time = time;
        _nextStart = time.GetTimestamp();
        Rate = rate;
    }

    /// <summary>Moves per second. A change applies from the next move on.</summary>
    public double Rate
    {
        get;
        set
        {
            field = value;
            _interval = TimeSpan.FromSeconds(1 / value);
        }
    }

    /// <summary>True after <see cref="FailuresToPause"/> failed moves in a row, until a move succeeds.</summary>
    public bool Paused => _consecutiveFailures >= FailuresToPause;

    /// <summary>How long until the next move may start; zero when it may start now.</summary>
    public TimeSpan DelayBeforeNext()
    {
        var wait = _time.GetElapsedTime(_time.GetTimestamp(), _nextStart);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>A move starts now: the next may start one interval later (or, while paused, one back-off later).</summary>
    public void Started()
    {
        var now = _time.GetTimestamp();
        var from = Math.Max(now, _nextStart);
        _nextStart = from + Ticks(Paused ? Max(_interval, _backoff) : _interval);
    }

    /// <summary>A move succeeded. True when it ended a pause.</summary>
    public bool Succeeded()
    {
        var wasPaused = Paused;
        _consecutiveFailures = 0;
        _backoff = InitialBackoff;
        return wasPaused;
    }

    /// <summary>A move failed (the session stays where it is). True when this failure paused the drain.</summary>
    public bool Failed()
    {
        var wasPaused = Paused;
        _consecutiveFailures++;
        if (wasPaused)
        {
            _backoff = Min(_backoff * 2, MaxBackoff);
        }

        if (Paused)
        {
            // The next trial waits for the back-off from now, whatever the spacing had planned.
            _nextStart = _time.GetTimestamp() + Ticks(_backoff);
        }

        return !wasPaused && Paused;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

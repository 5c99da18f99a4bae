namespace WsBalancer.Host.Upstream;

/// <summary>The breaker's position, as shown by the admin API.</summary>
internal enum BreakerState
{
    Closed,
    Open,
    HalfOpen,
}

/// <summary>
/// A consecutive-failure circuit breaker. After <c>threshold</c> failures in a row it opens and the backend is
/// skipped; once a back-off has passed it lets exactly one trial dial through (half-open). The trial's success
/// closes it; its failure re-opens it with a doubled back-off, capped.
/// </summary>
/// <remarks>Thread-safe: dials for many sessions consult the same breaker concurrently.</remarks>
internal sealed class CircuitBreaker
{
    /// <summary>The first back-off after the breaker opens.</summary>
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The longest back-off, however often the trials fail.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly int _threshold;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private BreakerState _state = BreakerState.Closed;
    private int _consecutiveFailures;
    private TimeSpan _backoff = InitialBackoff;
    private long _openedAt;
    private bool _trialInFlight;

    /// <param name="threshold">Consecutive failures that open the breaker; ≤ 0 disables it.</param>
    /// <param name="time">Clock for the back-off.</param>
    public CircuitBreaker(int threshold, TimeProvider time)
    {
        _threshold = threshold;
        _time = time;
    }

    public bool Enabled => _threshold > 0;

    public BreakerState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>True while dials are being refused or only a trial is let through.</summary>
    public bool Tripped => State != BreakerState.Closed;

    public int ConsecutiveFailures
    {
        get
        {
            lock (_gate)
            {
                return _consecutiveFailures;
            }
        }
    }

    /// <summary>Asks to dial. Closed: yes. Open: no, until the back-off has passed; then one caller gets the trial.</summary>
    public bool TryAcquire()
    {
        if (!Enabled)
        {
            return true;
        }

        lock (_gate)
        {
            switch (_state)
            {
                case BreakerState.Closed:
                    return true;
                case BreakerState.Open when _time.GetElapsedTime(_openedAt) >= _backoff:
                    _state = BreakerState.HalfOpen;
                    _trialInFlight = true;
                    return true;
                case BreakerState.HalfOpen when !_trialInFlight:
                    _trialInFlight = true;
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>The backend answered (101, or a 3xx/4xx refusal: it is alive). Closes the breaker.</summary>
    /// <returns>True when this call closed an open or half-open breaker.</returns>
    public bool RecordSuccess()
    {
        if (!Enabled)
        {
            return false;
        }

        lock (_gate)
        {
            var wasTripped = _state != BreakerState.Closed;
            _state = BreakerState.Closed;
            _consecutiveFailures = 0;
            _backoff = InitialBackoff;
            _trialInFlight = false;
            return wasTripped;
        }
    }

    /// <summary>The dial failed (network error, timeout, 5xx).</summary>
    /// <returns>True when this call opened the breaker.</returns>
    public bool RecordFailure()
    {
        if (!Enabled)
        {
            return false;
        }

        lock (_gate)
        {
            _consecutiveFailures++;
            switch (_state)
            {
                case BreakerState.HalfOpen:
                    _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
                    Open();
                    return true;
                case BreakerState.Closed when _consecutiveFailures >= _threshold:
                    _backoff = InitialBackoff;
                    Open();
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>A dial that ended with neither verdict (the session went away mid-dial) hands its trial back.</summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _trialInFlight = false;
        }
    }

    /// <summary>A manual reset from the admin API: closed, streak cleared.</summary>
    public void Reset() => RecordSuccess();

    private void Open()
    {
        _state = BreakerState.Open;
        _openedAt = _time.GetTimestamp();
        _trialInFlight = false;
    }
}

using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Upstream;

/// <summary>Where a backend drain stands (<c>draining.state</c> in <c>GET /backend/list</c>).</summary>
internal enum DrainState
{
    /// <summary>Moving sessions at the drain's rate.</summary>
    Running,

    /// <summary>The last moves failed (no other backend took them): one trial move after each back-off.</summary>
    Paused,

    /// <summary>Every session has left; the backend still takes no new session until it is undrained.</summary>
    Drained,

    /// <summary>Ended before the backend was empty (undrain, delete or shutdown).</summary>
    Stopped,
}

/// <summary>A drain's progress, read by the backend list and the metrics.</summary>
internal readonly record struct DrainProgress(DrainState State, double Rate, long Moved, int Remaining, long Failures);

/// <summary>
/// Moves the sessions of one backend to the others, paced by a <see cref="DrainPacer"/>, each through the session's
/// make-before-break failover, so a client sees nothing. A session no other backend took stays and is tried again
/// later; the drain never closes one.
/// </summary>
internal sealed class BackendDrain
{
    private readonly IDrainSessions _sessions;
    private readonly IUpstreamObserver? _observer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxInFlight;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly DrainPacer _pacer;
    private DrainState _state = DrainState.Running;
    private long _moved;
    private int _remaining;
    private long _failures;

    /// <param name="maxInFlight">Moves under way at once, at most (a slow target otherwise piles up dials).</param>
    public BackendDrain(string backendId, double rate, int maxInFlight, IDrainSessions sessions, IUpstreamObserver? observer, TimeProvider time, ILogger logger)
    {
        BackendId = backendId;
        _maxInFlight = maxInFlight;
        _sessions = sessions;
        _observer = observer;
        _time = time;
        _logger = logger;
        _pacer = new DrainPacer(rate, time);
    }

    public string BackendId { get; }

    /// <summary>Completes when the drain ends: drained, or stopped.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>True until the backend is empty or the drain is stopped.</summary>
    public bool IsRunning => Progress.State is DrainState.Running or DrainState.Paused;

    public DrainProgress Progress
    {
        get
        {
            lock (_gate)
            {
                return new DrainProgress(_state, _pacer.Rate, _moved, _remaining, _failures);
            }
        }
    }

    /// <summary>The <em>number of sessions per second</em> from the next move on.</summary>
    public void ChangeRate(double rate)
    {
        lock (_gate)
        {
            _pacer.Rate = rate;
        }
    }

    /// <param name="remaining">The sessions on the backend now, shown until the drain's first look.</param>
    public void Start(int remaining)
    {
        _remaining = remaining;
        Completion = Task.Run(RunAsync);
    }

    /// <summary>Starts no further move (those under way finish: a half-made move is never left behind).</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_state is DrainState.Running or DrainState.Paused)
            {
                _state = DrainState.Stopped;
            }
        }

        _stop.Cancel();
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        var started = _time.GetTimestamp();
        // One outcome per move started, and at most _maxInFlight started and unread: bounded by the loop itself.
        var outcomes = Channel.CreateUnbounded<DrainMove>(new UnboundedChannelOptions { SingleReader = true });
        var queue = new Queue<string>();
        var inFlight = 0;
        try
        {
            while (true)
            {
                while (outcomes.Reader.TryRead(out var outcome))
                {
                    inFlight--;
                    Record(outcome);
                }

                if (queue.Count == 0 && inFlight == 0)
                {
                    // A fresh look once the last one is worked through: what failed is tried again, what ended is gone.
                    var on = _sessions.SessionsOn(BackendId);
                    lock (_gate)
                    {
                        _remaining = on.Count;
                    }

                    if (on.Count == 0)
                    {
                        Finish(started);
                        return;
                    }

                    foreach (var id in on)
                    {
                        queue.Enqueue(id);
                    }
                }

                var wait = NextWait(queue.Count > 0, inFlight);
                if (wait != TimeSpan.Zero)
                {
                    await WaitAsync(outcomes.Reader, wait, token);
                    continue;
                }

                lock (_gate)
                {
                    _pacer.Started();
                }

                inFlight++;
                _ = MoveOneAsync(queue.Dequeue(), outcomes.Writer);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            var progress = Progress;
            UpstreamLog.DrainStopped(_logger, BackendId, progress.Moved, progress.Remaining);
        }
    }

    /// <summary>How long to wait before starting the next move: infinite = until a move under way ends.</summary>
    private TimeSpan NextWait(bool hasNext, int inFlight)
    {
        lock (_gate)
        {
            // While paused, only one trial at a time: its outcome decides whether the drain goes on.
            if (!hasNext || inFlight >= _maxInFlight || (_pacer.Paused && inFlight > 0))
            {
                return Timeout.InfiniteTimeSpan;
            }

            return _pacer.DelayBeforeNext();
        }
    }

    private async Task WaitAsync(ChannelReader<DrainMove> outcomes, TimeSpan wait, CancellationToken token)
    {
        if (wait == Timeout.InfiniteTimeSpan)
        {
            await outcomes.WaitToReadAsync(token);
            return;
        }

        // A move ending early does not cut the pacing short: the loop asks the pacer again.
        using var either = CancellationTokenSource.CreateLinkedTokenSource(token);
        var delay = Task.Delay(wait, _time, either.Token);
        var ended = outcomes.WaitToReadAsync(either.Token).AsTask();
        await Task.WhenAny(delay, ended);
        await either.CancelAsync();
        token.ThrowIfCancellationRequested();
    }

    private async Task MoveOneAsync(string sessionId, ChannelWriter<DrainMove> outcomes)
    {
        var outcome = DrainMove.Failed;
        try
        {
            outcome = await _sessions.MoveAsync(sessionId, BackendId);
        }
        finally
        {
            outcomes.TryWrite(outcome); // always, or the loop would wait for this move for ever
        }
    }

    private void Record(DrainMove outcome)
    {
        bool paused = false, resumed = false;
        DrainProgress progress;
        lock (_gate)
        {
            switch (outcome)
            {
                case DrainMove.Moved:
                    _moved++;
                    _remaining = Math.Max(0, _remaining - 1);
                    resumed = _pacer.Succeeded();
                    break;
                case DrainMove.Gone:
                    _remaining = Math.Max(0, _remaining - 1);
                    break;
                default:
                    _failures++;
                    paused = _pacer.Failed();
                    break;
            }

            if (_state is DrainState.Running or DrainState.Paused)
            {
                _state = _pacer.Paused ? DrainState.Paused : DrainState.Running;
            }

            progress = new DrainProgress(_state, _pacer.Rate, _moved, _remaining, _failures);
        }

        if (outcome == DrainMove.Moved)
        {
            _observer?.SessionDrained(BackendId);
        }

        if (paused)
        {
            UpstreamLog.DrainPaused(_logger, BackendId, DrainPacer.FailuresToPause, progress.Remaining);
        }
        else if (resumed)
        {
            UpstreamLog.DrainResumed(_logger, BackendId, progress.Remaining);
        }
    }

    private void Finish(long started)
    {
        long moved;
        lock (_gate)
        {
            if (_state is DrainState.Running or DrainState.Paused)
            {
                _state = DrainState.Drained;
            }

            moved = _moved;
        }

        UpstreamLog.DrainCompleted(_logger, BackendId, moved, _time.GetElapsedTime(started));
    }
}

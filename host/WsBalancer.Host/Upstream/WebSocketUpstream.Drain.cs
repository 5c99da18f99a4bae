using WsBalancer.Sdk;

namespace WsBalancer.Host.Upstream;

/// <summary>What <see cref="WebSocketUpstream.Drain"/> did.</summary>
internal enum DrainRequest
{
    /// <summary>No backend has that id.</summary>
    Unknown,

    /// <summary>A drain began: the backend takes no new session, its sessions are being moved.</summary>
    Started,

    /// <summary>The backend was draining already: its drain moves at the new rate.</summary>
    RateChanged,

    /// <summary>The backend has no session to move: it is marked drained (it takes no new session), nothing else.</summary>
    NothingToMove,
}

// Paced drains: a drained backend is out of the rotation until it is undrained, deleted, or the process ends.
internal sealed partial class WebSocketUpstream
{
    /// <summary>Moves under way at once in one drain, at most, whatever its rate: a slow target piles up no dials.</summary>
    public const int MaxDrainMovesInFlight = 32;

    /// <summary>
    /// Drains <paramref name="id"/> at <paramref name="rate"/> sessions per second: from now it takes no new session
    /// and its sessions move to the other backends. A second drain of a draining backend changes its rate.
    /// </summary>
    internal DrainRequest Drain(string id, double rate, IDrainSessions sessions)
    {
        BackendDrain drain;
        int remaining;
        lock (_writeGate)
        {
            var backend = Find(id);
            if (backend is null)
            {
                return DrainRequest.Unknown;
            }

            if (backend.Drain is { IsRunning: true } running)
            {
                running.ChangeRate(rate);
                return DrainRequest.RateChanged;
            }

            remaining = sessions.SessionsOn(id).Count;
            if (backend.Drain is not null && remaining == 0)
            {
                return DrainRequest.NothingToMove; // drained already, and still empty
            }

            var maxInFlight = Math.Clamp((int)Math.Ceiling(rate), 1, MaxDrainMovesInFlight);
            drain = new BackendDrain(id, rate, maxInFlight, sessions, _observer, _time, _logger);
            backend.Drain = drain;
            PublishRotation();
        }

        UpstreamLog.DrainStarted(_logger, id, remaining, rate);
        drain.Start(remaining);
        return remaining == 0 ? DrainRequest.NothingToMove : DrainRequest.Started;
    }

    /// <summary>
    /// Ends <paramref name="id"/>'s drain, running or done: no further move starts and the backend takes new sessions
    /// again. NoActionRequired when it was not drained; Failed for an unknown id.
    /// </summary>
    internal AdminResult Undrain(string id)
    {
        BackendDrain? drain;
        lock (_writeGate)
        {
            var backend = Find(id);
            if (backend is null)
            {
                return AdminResult.Failed;
            }

            drain = backend.Drain;
            if (drain is null)
            {
                return AdminResult.NoActionRequired;
            }

            drain.Stop();
            backend.Drain = null;
            PublishRotation();
        }

        UpstreamLog.BackendChanged(_logger, id, "undrained");
        return AdminResult.Success;
    }

    /// <summary>The drained and draining backends, with the sessions left on each.</summary>
    internal IEnumerable<(string Backend, int Remaining)> DrainsRemaining()
    {
        foreach (var backend in Backends)
        {
            if (backend.Drain is { } drain)
            {
                yield return (backend.Id, drain.Progress.Remaining);
            }
        }
    }

    /// <summary>Stops every running drain (the balancer is shutting down); the backends stay out of the rotation.</summary>
    internal void StopDrains()
    {
        foreach (var backend in Backends)
        {
            backend.Drain?.Stop();
        }
    }
}

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>
/// The backend each running session is on, so that the Created after a failover's Terminated is recorded as a
/// failover from that backend rather than as a new start. Bounded: beyond its capacity the least recently active
/// session is forgotten (a session whose end is never reported must not stay forever).
/// </summary>
/// <remarks>Thread-safe: many sessions report at once. Each call is a dictionary operation under a short lock.</remarks>
internal sealed class SessionTracker
{
    private readonly int _capacity;
    private readonly Dictionary<string, LinkedListNode<TrackedSession>> _sessions = new(StringComparer.Ordinal);
    private readonly LinkedList<TrackedSession> _byActivity = []; // least recently active first
    private readonly Lock _lock = new();

    public SessionTracker(int capacity)
    {
        _capacity = capacity;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>A pair of the session was joined.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="backendId">The pair's backend.</param>
    /// <param name="isReconnect">The host says the session has failed over before (its state here may have been forgotten).</param>
    /// <param name="evicted">Whether another session was forgotten to make room.</param>
    /// <returns>Whether this is the session's start or a failover, and the backend it came from when known.</returns>
    public (string Kind, string? PreviousBackendId) Joined(string sessionId, string backendId, bool isReconnect, out bool evicted)
    {
        lock (_lock)
        {
            if (_sessions.TryGetValue(sessionId, out var node))
            {
                var previous = node.Value.BackendId;
                node.Value.BackendId = backendId;
                Touch(node);
                evicted = false;
                return (AuditKind.Failover, previous);
            }

            evicted = Add(sessionId, backendId);
            return isReconnect ? (AuditKind.Failover, null) : (AuditKind.Start, null);
        }
    }

    /// <summary>A pair ended and the session goes on (a failover): the next <see cref="Joined"/> is a failover from <paramref name="backendId"/>.</summary>
    /// <returns>Whether another session was forgotten to make room.</returns>
    public bool Left(string sessionId, string backendId)
    {
        lock (_lock)
        {
            if (_sessions.TryGetValue(sessionId, out var node))
            {
                node.Value.BackendId = backendId;
                Touch(node);
                return false;
            }

            return Add(sessionId, backendId);
        }
    }

    /// <summary>The session ended.</summary>
    public void Ended(string sessionId)
    {
        lock (_lock)
        {
            if (_sessions.Remove(sessionId, out var node))
            {
                _byActivity.Remove(node);
            }
        }
    }

    private bool Add(string sessionId, string backendId)
    {
        var evicted = false;
        if (_sessions.Count >= _capacity)
        {
            var oldest = _byActivity.First!;
            _byActivity.RemoveFirst();
            _sessions.Remove(oldest.Value.SessionId);
            evicted = true;
        }

        _sessions.Add(sessionId, _byActivity.AddLast(new TrackedSession(sessionId, backendId)));
        return evicted;
    }

    private void Touch(LinkedListNode<TrackedSession> node)
    {
        _byActivity.Remove(node);
        _byActivity.AddLast(node);
    }

    private sealed class TrackedSession(string sessionId, string backendId)
    {
        public string SessionId { get; } = sessionId;

        public string BackendId { get; set; } = backendId;
    }
}

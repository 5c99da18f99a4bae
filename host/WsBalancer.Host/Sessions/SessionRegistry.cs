using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Upstream;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>The live sessions, by id: what the admin API lists, aborts and moves.</summary>
internal sealed class SessionRegistry : IDrainSessions
{
    // Ids of recently ended sessions, so a repeated abort answers NoActionRequired instead of "unknown".
    private const int EndedIdsKept = 4096;

    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ILiveSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _endedIds = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _endedOrder = new();
    private TaskCompletionSource _emptied = NewSignal();
    private long _endedMessagesReceived;
    private long _endedMessagesSent;

    public SessionRegistry(ILogger logger) => _logger = logger;

    public int Count => _sessions.Count;

    public ICollection<ILiveSession> Sessions => _sessions.Values;

    public void Add(ILiveSession session) => _sessions[session.Id] = session;

    public void Remove(ILiveSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, ILiveSession>(session.Id, session)))
        {
            // Kept so that the totals (what the web page turns into message rates) do not fall when a session ends.
            Interlocked.Add(ref _endedMessagesReceived, session.MessagesReceived);
            Interlocked.Add(ref _endedMessagesSent, session.MessagesSent);
        }

        if (_endedIds.TryAdd(session.Id, 0))
        {
            _endedOrder.Enqueue(session.Id);
            while (_endedOrder.Count > EndedIdsKept && _endedOrder.TryDequeue(out var oldest))
            {
                _endedIds.TryRemove(oldest, out _);
            }
        }

        if (_sessions.IsEmpty)
        {
            Interlocked.Exchange(ref _emptied, NewSignal()).TrySetResult();
        }
    }

    public ILiveSession? Find(string id) => _sessions.TryGetValue(id, out var session) ? session : null;

    /// <summary>
    /// Messages received from clients and sent to clients since start, by ended and live sessions. Read without a lock:
    /// a session ending during the read may be counted twice or not at all for that one read.
    /// </summary>
    public (long Received, long Sent) MessageTotals()
    {
        long received = Interlocked.Read(ref _endedMessagesReceived);
        long sent = Interlocked.Read(ref _endedMessagesSent);
        foreach (var session in _sessions.Values)
        {
            received += session.MessagesReceived;
            sent += session.MessagesSent;
        }

        return (received, sent);
    }

    /// <summary>Aborts one session: Success, NoActionRequired when it is already gone (a second call), Failed when never known.</summary>
    public AdminResult Abort(string id)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return _endedIds.ContainsKey(id) ? AdminResult.NoActionRequired : AdminResult.Failed;
        }

        session.Abort();
        return AdminResult.Success;
    }

    /// <summary>
    /// Moves every session currently on <paramref name="backendId"/>; returns how many moved and how many failed (could
    /// not be moved and are still on it: they go on there). One that ended, or whose leg broke and recovery moved it,
    /// while its move was asked for is neither.
    /// </summary>
    public async Task<(int Moved, int Failed)> FailoverBackendAsync(string backendId)
    {
        var moves = RequestMovesOff(backendId);

        int moved = 0, failed = 0;
        foreach (var (session, move) in moves)
        {
            if ((await move).Result == AdminResult.Success)
            {
                moved++;
            }
            else if (Find(session.Id) is not null && session.BackendId == backendId)
            {
                failed++;
            }
        }

        return (moved, failed);
    }

    /// <summary>
    /// After a backend is deleted: moves each of its sessions to another backend, and ends (1011, "backend deleted")
    /// those that no other backend took and that are still on the deleted one. Returns how many were moved and ended.
    /// </summary>
    public async Task<(int Moved, int Ended)> MoveOffDeletedBackendAsync(string backendId)
    {
        var moves = RequestMovesOff(backendId);

        int moved = 0, ended = 0;
        foreach (var (session, move) in moves)
        {
            if (await EndUnlessMovedAsync(session, backendId, move))
            {
                moved++;
            }
            else
            {
                ended++;
            }
        }

        return (moved, ended);
    }

    /// <summary>Asks every session now on <paramref name="backendId"/> to move, all at once; the moves run in parallel.</summary>
    private List<(ILiveSession Session, Task<FailoverResult> Move)> RequestMovesOff(string backendId)
    {
        var moves = new List<(ILiveSession Session, Task<FailoverResult> Move)>();
        foreach (var session in _sessions.Values)
        {
            if (session.BackendId == backendId)
            {
                moves.Add((session, session.RequestFailoverAsync()));
            }
        }

        return moves;
    }

    public IReadOnlyList<string> SessionsOn(string backendId)
    {
        var ids = new List<string>();
        foreach (var session in _sessions.Values)
        {
            if (session.BackendId == backendId)
            {
                ids.Add(session.Id);
            }
        }

        return ids;
    }

    public async Task<DrainMove> MoveAsync(string sessionId, string backendId)
    {
        if (Find(sessionId) is not { } session || session.BackendId != backendId)
        {
            return DrainMove.Gone;
        }

        var outcome = await session.RequestFailoverAsync();
        if (outcome.Result == AdminResult.Success)
        {
            SessionsLog.DrainMoved(_logger, sessionId, backendId, session.BackendId);
            return DrainMove.Moved;
        }

        if (Find(sessionId) is null || session.BackendId != backendId)
        {
            return DrainMove.Gone; // it ended (or its leg broke and recovery moved it) while the move was asked for
        }

        SessionsLog.DrainMoveFailed(_logger, sessionId, backendId, outcome.Reason ?? "failover failed");
        return DrainMove.Failed;
    }

    /// <summary>
    /// A session has just taken <paramref name="connection"/> (it registered, or a failover switched to it). When that
    /// leg's backend was deleted meanwhile, the delete's scan could not see it (the dial began before the delete, the
    /// session was not listed yet or still listed on its previous backend): it is moved now, or ended, as the delete
    /// would have done. A plugin dialer's backends are known to the host by id only; this covers the built-in upstream.
    /// </summary>
    /// <remarks>
    /// The delete marks the backend (a full fence), then scans; the session publishes its leg, then (after a full
    /// fence) looks at the mark. So at least one of the two sees the other: never neither.
    /// </remarks>
    public void Placed(ILiveSession session, IBackendConnection connection, ILogger logger)
    {
        Interlocked.MemoryBarrier();
        if (connection is IUpstreamConnection { Backend.Deleted: true })
        {
            SessionsLog.LegOnDeletedBackend(logger, session.Id, connection.BackendId);
            _ = EndUnlessMovedAsync(session, connection.BackendId, session.RequestFailoverAsync());
        }
    }

    /// <summary>Awaits a move off a deleted backend; a session no other backend took, still on the deleted one, is ended (1011).</summary>
    private static async Task<bool> EndUnlessMovedAsync(ILiveSession session, string backendId, Task<FailoverResult> move)
    {
        if ((await move).Result == AdminResult.Success)
        {
            return true;
        }

        if (session.BackendId == backendId)
        {
            // Left on a backend that no longer exists, it would never be moved or counted again.
            session.EndForDeletedBackend();
        }

        return false;
    }

    /// <summary>Completes when no session is left (immediately if none is).</summary>
    public Task WaitUntilEmptyAsync(CancellationToken cancellationToken)
    {
        // Read the signal before looking: a removal in between either shows as empty or completes this signal.
        var signal = Volatile.Read(ref _emptied);
        return _sessions.IsEmpty ? Task.CompletedTask : signal.Task.WaitAsync(cancellationToken);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

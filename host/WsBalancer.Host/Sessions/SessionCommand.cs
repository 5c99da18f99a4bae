namespace WsBalancer.Host.Sessions;

/// <summary>A request for a session's pump: a failover (with its outcome), or a close of the client with a code.</summary>
internal sealed class SessionCommand
{
    public static readonly SessionCommand Abort = new(null, 1000, "session aborted by the administrator", SessionEndReason.Aborted);

    /// <summary>The session's backend was deleted and no other could take it: 1011, as the seed contract says.</summary>
    public static readonly SessionCommand BackendDeleted = new(null, 1011, "backend deleted", SessionEndReason.BackendDeleted);

    /// <summary>The balancer is shutting down and the drain timeout passed (or a second signal came): 1001.</summary>
    public static readonly SessionCommand Shutdown = new(null, 1001, "balancer shutting down", SessionEndReason.ShuttingDown);

    /// <summary>Nothing went either way for <c>server.idle-timeout</c>: a normal close, both legs closed normally.</summary>
    public static readonly SessionCommand IdleTimeout = new(null, 1000, "idle timeout", SessionEndReason.IdleTimeout);

    /// <summary>
    /// The backend took nothing the client sent for <c>server.stall-timeout</c>: 1013 (try again later), and the backend
    /// leg is dropped rather than closed (it would not take a close frame either).
    /// </summary>
    public static readonly SessionCommand BackendStalled = new(null, 1013, "backend stalled", SessionEndReason.BackendStalled);

    private SessionCommand(TaskCompletionSource<FailoverResult>? outcome, int closeCode, string? closeReason, SessionEndReason endReason)
    {
        Outcome = outcome;
        CloseCode = closeCode;
        CloseReason = closeReason;
        EndReason = endReason;
    }

    /// <summary>Null for a close.</summary>
    public TaskCompletionSource<FailoverResult>? Outcome { get; }

    public int CloseCode { get; }

    public string? CloseReason { get; }

    public SessionEndReason EndReason { get; }

    /// <summary>The backend leg is dropped instead of closed: it takes nothing, a close frame included.</summary>
    public bool DropsBackend => EndReason == SessionEndReason.BackendStalled;

    public static SessionCommand Failover() => new(new TaskCompletionSource<FailoverResult>(TaskCreationOptions.RunContinuationsAsynchronously), 0, null, default);

    /// <summary>A plugin or script ends the session.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is not one a peer may send.</exception>
    public static SessionCommand Close(int code, string? reason)
    {
        if (code is < 1000 or > 4999 or 1004 or 1005 or 1006 or 1015 || code is > 1014 and < 3000)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "a close code a peer may send: 1000-1003, 1007-1014 or 3000-4999");
        }

        return new(null, code, reason, SessionEndReason.ClosedByPlugin);
    }
}

namespace WsBalancer.Host.Sessions;

/// <summary>A request for a session's pump: a failover (with its outcome), or a close of the client with a code.</summary>
internal sealed class SessionCommand
{
    public static readonly SessionCommand Abort = new(null, 1000, "session aborted by the administrator", SessionEndReason.Aborted);

    /// <summary>The session's backend was deleted and no other could take it: 1011, as the seed contract says.</summary>
    public static readonly SessionCommand BackendDeleted = new(null, 1011, "backend deleted", SessionEndReason.BackendDeleted);

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

    public static SessionCommand Failover() => new(new TaskCompletionSource<FailoverResult>(TaskCreationOptions.RunContinuationsAsynchronously), 0, null, default);

    /// <summary>A plugin or script ends the session.</summary>
    public static SessionCommand Close(int code, string? reason) => new(null, code, reason, SessionEndReason.ClosedByPlugin);
}

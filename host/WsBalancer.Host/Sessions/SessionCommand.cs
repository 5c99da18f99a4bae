namespace WsBalancer.Host.Sessions;

/// <summary>An administrative request for a session's pump: a failover (with its outcome) or an abort.</summary>
internal sealed class SessionCommand
{
    public static readonly SessionCommand Abort = new(null);

    private SessionCommand(TaskCompletionSource<FailoverResult>? outcome) => Outcome = outcome;

    /// <summary>Null for an abort.</summary>
    public TaskCompletionSource<FailoverResult>? Outcome { get; }

    public static SessionCommand Failover() => new(new TaskCompletionSource<FailoverResult>(TaskCreationOptions.RunContinuationsAsynchronously));
}

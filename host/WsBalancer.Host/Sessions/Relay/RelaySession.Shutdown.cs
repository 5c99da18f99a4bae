namespace WsBalancer.Host.Sessions.Relay;

// The end a shutdown chooses once its drain timeout passed.
internal sealed partial class RelaySession
{
    /// <summary>
    /// Ends the session for the shutdown, on the supervisor's path for a chosen end: the close (1001 "balancer
    /// shutting down") is queued on the backend → client pump's outbox, so the message it is writing and what it has
    /// already written to the client go first; the backend leg gets a normal close.
    /// </summary>
    public void EndForShutdown() => Post(SessionCommand.Shutdown);
}

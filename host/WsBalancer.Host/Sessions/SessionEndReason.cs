namespace WsBalancer.Host.Sessions;

/// <summary>Why a session ended: expected endings are values, not exceptions.</summary>
internal enum SessionEndReason
{
    ClientClosed,
    ClientGone,
    ClientTooSlow,
    BackendClosed,
    NoBackend,
    PendingOverflow,
    MessageTooBig,
    Aborted,
    BackendDeleted,
    ClosedByPlugin,
    ShuttingDown,
    IdleTimeout,
    BackendStalled,
    Failed,
}

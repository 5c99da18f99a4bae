namespace WsBalancer.Host.Sessions;

/// <summary>Which core carries a session's messages (shown as <c>path</c> in <c>GET /session/list</c>).</summary>
internal enum SessionPath
{
    /// <summary>Message by message, through valves and scripts (<see cref="BalancerSession"/>).</summary>
    Message,

    /// <summary>Frame by frame, nothing reads the content (<see cref="Relay.RelaySession"/>).</summary>
    Relay,
}

/// <summary>A live session as the registry, the admin API and the watchdog see it, whichever core carries it.</summary>
internal interface ILiveSession
{
    string Id { get; }

    Uri RequestUri { get; }

    /// <summary>The request's path and query, made once (the session list filters every session on it).</summary>
    string RequestTarget { get; }

    DateTimeOffset StartedAt { get; }

    string? RemoteAddress { get; }

    /// <summary>The backend serving the session now; empty before the first leg.</summary>
    string BackendId { get; }

    long MessagesReceived { get; }

    long MessagesSent { get; }

    int Reconnects { get; }

    /// <summary>Client messages waiting for a backend leg (the relay keeps none: it back-pressures instead).</summary>
    int PendingMessages { get; }

    SessionPath Path { get; }

    /// <summary>Asks for a make-before-break move to another backend.</summary>
    Task<FailoverResult> RequestFailoverAsync();

    /// <summary>Ends the session: the client gets a normal close (1000) and the backend leg is closed.</summary>
    void Abort();

    /// <summary>Ends the session because its backend was deleted and no other backend took it (1011).</summary>
    void EndForDeletedBackend();

    /// <summary>
    /// Ends the session because the balancer is shutting down and the drain timeout passed: what is already held for
    /// the client is delivered first, then the client gets 1001 "balancer shutting down" and the backend leg is closed.
    /// </summary>
    void EndForShutdown();

    /// <summary>
    /// The watchdog's periodic look (see <see cref="SlowClientWatchdog"/>): drops the client when a write to it has
    /// waited longer than the write timeout, and does any other timed upkeep. True when the client was dropped.
    /// </summary>
    bool Tick(long now);
}

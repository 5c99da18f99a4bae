namespace WsBalancer.Sdk;

/// <summary>A filter through which every message passes on its way between client and backend.</summary>
/// <remarks>Calls for one session never overlap in one direction, but the two directions may run concurrently.
/// Returning null, or throwing, drops the message; the session goes on.</remarks>
public interface IMessageValve
{
    /// <summary>Client → backend. Valves run in list order.</summary>
    /// <param name="message">The message from the client (or from the previous valve).</param>
    /// <returns>The message to pass on (the same or a new one), or null to drop it.</returns>
    ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message);

    /// <summary>Backend → client. Valves run in reverse list order.</summary>
    /// <param name="message">The message from the backend (or from the next valve).</param>
    /// <returns>The message to pass on (the same or a new one), or null to drop it.</returns>
    ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message);
}

/// <summary>A live session: the client leg and its current backend leg.</summary>
public sealed class ProxySession
{
    /// <summary>Creates the pair.</summary>
    /// <param name="frontend">The client leg.</param>
    /// <param name="backend">The current backend leg.</param>
    public ProxySession(IFrontendConnection frontend, IBackendConnection backend)
    {
        ArgumentNullException.ThrowIfNull(frontend);
        ArgumentNullException.ThrowIfNull(backend);
        Frontend = frontend;
        Backend = backend;
    }

    /// <summary>The client leg.</summary>
    public IFrontendConnection Frontend { get; }

    /// <summary>The current backend leg. A failover produces a new <see cref="ProxySession"/> with the new leg.</summary>
    public IBackendConnection Backend { get; }
}

/// <summary>Adds valves to sessions.</summary>
public interface IValveProvider
{
    /// <summary>Called when a session starts (and again after each failover) to build its valve list.</summary>
    /// <param name="session">The session.</param>
    /// <param name="currentValves">The valves added by providers called before this one.</param>
    /// <returns>The valves this provider adds, in order; an empty list to add none.</returns>
    IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves);
}

/// <summary>Told about session lifecycles. A failover is reported as Terminated for the old pair, then Created for the new one.</summary>
/// <remarks>Calls are made on the session's own flow: keep them short and never block.</remarks>
public interface ISessionListener
{
    /// <summary>A client and a backend leg were joined.</summary>
    /// <param name="session">The new pair.</param>
    void SessionCreated(ProxySession session);

    /// <summary>The pair ended: the client left, or the backend leg was replaced.</summary>
    /// <param name="session">The ended pair.</param>
    void SessionTerminated(ProxySession session);
}

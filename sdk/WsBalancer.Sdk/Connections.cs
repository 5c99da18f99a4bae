namespace WsBalancer.Sdk;

/// <summary>The client side of a session, as accepted by one of the balancer's frontends.</summary>
public interface IFrontendConnection : IStartCloseIdentifier
{
    /// <summary>The id of the frontend (listener) that accepted the client.</summary>
    string FrontendId { get; }

    /// <summary>The request URI the client upgraded on: path and query as the client sent them.</summary>
    Uri RequestUri { get; }

    /// <summary>The client's handshake headers, case-insensitive by name.</summary>
    IReadOnlyDictionary<string, string[]> Headers { get; }

    /// <summary>The client's address as seen by the balancer, or null when unknown.</summary>
    string? RemoteAddress { get; }
}

/// <summary>One live connection to a backend, created by an <see cref="IBackendDialer"/>.</summary>
/// <remarks>
/// <para>
/// Once started, the connection reads <see cref="BackendDialContext.Receive"/> and writes each message to its
/// backend, and reads its backend and writes each message to <see cref="BackendDialContext.Send"/>.
/// </para>
/// <para>
/// When the backend closes with a code the connection treats as abnormal (by default 1001, 1005, 1006, 1011 and
/// 1013), or the transport breaks, it writes one <see cref="WsMessageType.RemoteConnectionAbnormalClosure"/> to
/// <c>Send</c> and stops. On any other close it writes one <see cref="WsMessageType.RemoteConnectionNormalClosure"/>
/// carrying the code and reason. A message it took from <c>Receive</c> but could not deliver stays available
/// through <see cref="TakeUnsent"/>, so the next connection of the session can send it first.
/// </para>
/// <para>
/// <see cref="IStartCloser.CloseAsync"/> stops consuming <c>Receive</c> before it completes (so a successor never
/// races its predecessor for messages), sends a normal close to the backend, and keeps delivering the backend's
/// remaining messages to <c>Send</c> until the backend's close arrives, ending with a closure message.
/// </para>
/// </remarks>
public interface IBackendConnection : IStartCloseIdentifier
{
    /// <summary>The id of the backend this connection belongs to.</summary>
    string BackendId { get; }

    /// <summary>The subprotocol the backend chose in its handshake, or null when it chose none.</summary>
    string? Subprotocol { get; }

    /// <summary>Headers from the backend's handshake response to copy into the client's 101 response.</summary>
    IReadOnlyDictionary<string, string[]> AdditionalHeaders { get; }

    /// <summary>
    /// Removes and returns, in order, the messages this connection took from <c>Receive</c> but did not write to
    /// its backend. Meaningful once the connection has stopped consuming; later calls return an empty list.
    /// </summary>
    /// <returns>The undelivered messages, oldest first.</returns>
    IReadOnlyList<WsMessage> TakeUnsent();
}

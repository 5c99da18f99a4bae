namespace WsBalancer.Sdk;

/// <summary>The kind of a <see cref="WsMessage"/>.</summary>
/// <remarks>
/// Values 1–10 are RFC 6455 opcodes. <see cref="RemoteConnectionNormalClosure"/> and
/// <see cref="RemoteConnectionAbnormalClosure"/> are signals between a backend connection and the host;
/// they never go on the wire.
/// </remarks>
public enum WsMessageType
{
    /// <summary>A UTF-8 text message.</summary>
    Text = 1,

    /// <summary>A binary message.</summary>
    Binary = 2,

    /// <summary>A close frame.</summary>
    Close = 8,

    /// <summary>A ping frame.</summary>
    Ping = 9,

    /// <summary>A pong frame.</summary>
    Pong = 10,

    /// <summary>
    /// The remote end closed normally. <see cref="WsMessage.Data"/> holds the close code and reason in
    /// close-frame layout (see <see cref="WsMessage.GetCloseStatus"/>). From a backend connection it tells
    /// the host to close the client with that code; from the host it tells a backend connection that the
    /// client is gone and it should close gracefully.
    /// </summary>
    RemoteConnectionNormalClosure = 32,

    /// <summary>
    /// The remote end vanished or closed with a code the backend treats as abnormal. A backend connection
    /// writes one of these to <see cref="BackendDialContext.Send"/> and stops; the host then fails the session over.
    /// </summary>
    RemoteConnectionAbnormalClosure = 64,
}

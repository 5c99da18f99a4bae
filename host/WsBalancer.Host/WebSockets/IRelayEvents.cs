namespace WsBalancer.Host.WebSockets;

/// <summary>
/// What a <see cref="RelayPump"/> reports while it runs. Called on the pump's thread, synchronously, between
/// reads: implementations must be quick and must not block.
/// </summary>
internal interface IRelayEvents
{
    /// <summary>
    /// The inbound peer sent a ping. The pump cannot answer on the inbound leg itself (that leg's writer belongs
    /// to the opposite pump): queue the pong in the opposite pump's <see cref="ControlFrameOutbox"/>.
    /// <paramref name="payload"/> is unmasked and valid only during the call.
    /// </summary>
    void OnPing(ReadOnlySpan<byte> payload);

    /// <summary>The inbound peer sent a pong (consumed, never forwarded): a sign of life for keep-alive pings.</summary>
    void OnPong(ReadOnlySpan<byte> payload);

    /// <summary>
    /// A whole message (its final frame) was written to the outbound writer; it goes out with the batch's flush.
    /// <paramref name="messagesWritten"/> counts messages since the pump started; <paramref name="outboundBytes"/> is
    /// the offset in the outbound byte stream just after this message (control frames from the outbox included).
    /// A transport that counts the bytes the kernel accepted can tell from it exactly which messages reached the
    /// socket, which a flush alone does not say (a flush only hands bytes to the transport's pipe).
    /// </summary>
    void OnMessageWritten(long messagesWritten, long outboundBytes);

    /// <summary>
    /// The inbound peer sent a valid close frame; the pump ends with <see cref="RelayEnd.PeerClosed"/> once what came
    /// before is flushed. Reported at once, so that the opposite direction can stop writing to a peer that is leaving
    /// before the session gets to it (what it would still write could be read and dropped by a closing peer).
    /// </summary>
    void OnPeerClose();

    /// <summary>
    /// A batch was flushed to the outbound leg. <paramref name="messagesFlushed"/> counts, since the pump started,
    /// the whole messages (final frame included) now handed to the outbound transport.
    /// </summary>
    void OnFlushed(long messagesFlushed);
}

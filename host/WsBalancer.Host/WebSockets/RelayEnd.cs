namespace WsBalancer.Host.WebSockets;

/// <summary>Why a <see cref="RelayPump"/> stopped.</summary>
internal enum RelayEnd
{
    /// <summary>The inbound peer sent a valid close frame; it was not forwarded (the session decides what to send).</summary>
    PeerClosed,

    /// <summary>The inbound peer broke RFC 6455; the outcome carries the close code to fail its leg with (§7.1.7).</summary>
    ProtocolError,

    /// <summary>A close queued in the pump's <see cref="ControlFrameOutbox"/> was written and flushed to the outbound leg.</summary>
    CloseSent,

    /// <summary>
    /// <see cref="RelayPump.RequestStop"/> was honoured at a message boundary. The inbound reader is left at the
    /// first frame not consumed, so another pump (towards another backend) can go on from there.
    /// </summary>
    Stopped,

    /// <summary>
    /// <see cref="RelayPump.Abandon"/> was honoured: the pump stopped where it was, perhaps inside a message. What its
    /// outbound leg confirmed was released; the rest is left on the inbound reader.
    /// </summary>
    Abandoned,

    /// <summary>The inbound transport ended between frames without a close frame.</summary>
    InboundEnded,

    /// <summary>The inbound transport ended inside a frame or a message, or failed (reset, aborted).</summary>
    InboundTruncated,

    /// <summary>
    /// The outbound leg's reader is gone (or its flush was cancelled): the last batch was not delivered and nothing
    /// more can be. Reported even when that batch also held an inbound close or error.
    /// </summary>
    OutboundEnded,
}

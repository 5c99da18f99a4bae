using System.Net.WebSockets;

namespace WsBalancer.Host.WebSockets;

/// <summary>How a <see cref="RelayPump"/> ended. Everything valid before the end was forwarded and flushed.</summary>
/// <param name="End">Why it stopped.</param>
/// <param name="CloseStatus">For <see cref="RelayEnd.PeerClosed"/> the peer's code (1005 when it sent none); for <see cref="RelayEnd.ProtocolError"/> the code to fail the inbound leg with.</param>
/// <param name="Reason">The peer's close reason, or the protocol error's short reason; otherwise null.</param>
/// <param name="OutboundMidFrame">
/// True when the outbound leg was left inside a frame (part of a large frame was forwarded before its invalid
/// byte arrived): no close frame can follow on that leg, it must be aborted.
/// </param>
internal readonly record struct RelayOutcome(RelayEnd End, WebSocketCloseStatus? CloseStatus, string? Reason, bool OutboundMidFrame)
{
    /// <summary>
    /// True when part of a message went out on the outbound leg and not its end: that leg cannot carry a message
    /// from another source (a new backend) before the message is finished, which only its first source can do.
    /// </summary>
    public bool OutboundMidMessage { get; init; }
}

using System.Net.WebSockets;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Why a leg must be failed (RFC 6455 §7.1.7): the close code to send and a short reason. Reasons are string
/// literals, so reporting an error allocates nothing.
/// </summary>
internal readonly record struct ProtocolError(WebSocketCloseStatus CloseStatus, string Reason)
{
    public static ProtocolError Protocol(string reason) => new(WebSocketCloseStatus.ProtocolError, reason);

    public static ProtocolError InvalidData(string reason) => new(WebSocketCloseStatus.InvalidPayloadData, reason);

    public static ProtocolError TooBig(string reason) => new(WebSocketCloseStatus.MessageTooBig, reason);
}

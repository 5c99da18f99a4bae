using System.Net.WebSockets;
using WsBalancer.Sdk;

namespace WsBalancer.Host.WebSockets;

internal static class WsMessageTypes
{
    public static WebSocketMessageType ToSocketType(this WsMessageType type) =>
        type == WsMessageType.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;

    /// <summary>A close code a peer may put on the wire (RFC 6455 §7.4): 1005, 1006 and 1015 are reserved for local use.</summary>
    public static WebSocketCloseStatus ToWireCloseStatus(int code) =>
        code is 1005 or 1006 or 1015 or < 1000 or > 4999 ? WebSocketCloseStatus.NormalClosure : (WebSocketCloseStatus)code;

    /// <summary>Close reasons are capped at 123 UTF-8 bytes on the wire (RFC 6455 §5.5).</summary>
    public static string? TrimCloseReason(string? reason)
    {
        if (string.IsNullOrEmpty(reason) || System.Text.Encoding.UTF8.GetByteCount(reason) <= 123)
        {
            return reason;
        }

        var length = reason.Length;
        while (System.Text.Encoding.UTF8.GetByteCount(reason.AsSpan(0, length)) > 123)
        {
            length--;
        }

        return reason[..length];
    }
}

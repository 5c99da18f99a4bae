using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text.Unicode;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Reads and validates a close frame's payload (RFC 6455 §5.5.1, §7.4): empty, or a 2-byte code followed by a
/// UTF-8 reason.
/// </summary>
/// <remarks>
/// Accepted codes: 1000–1003, 1007–1014 and 3000–4999. 1000–1003 and 1007–1011 are defined by RFC 6455 §7.4.1;
/// 1012 (service restart), 1013 (try again later) and 1014 (bad gateway) are registered in the IANA WebSocket
/// Close Code Number Registry that RFC 6455 §11.7 created, and backends do send 1013 (the session treats it as
/// abnormal and fails over). 3000–3999 are registered and 4000–4999 private codes (§7.4.2). Refused with 1002:
/// below 1000 (unused), 1004 (reserved), 1005, 1006 and 1015 (§7.4.1: never sent on the wire), 1016–2999
/// (reserved for future RFCs, not assigned), and 5000 and above (outside every range §7.4.2 defines).
/// </remarks>
internal static class ClosePayload
{
    public static bool IsValidCode(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    /// <summary>Validates <paramref name="payload"/> (already unmasked).</summary>
    /// <param name="status">The peer's code, or <see cref="WebSocketCloseStatus.Empty"/> (1005) for an empty payload.</param>
    /// <param name="reason">The reason's UTF-8 bytes (a slice of <paramref name="payload"/>).</param>
    public static bool TryRead(ReadOnlySpan<byte> payload, out WebSocketCloseStatus status, out ReadOnlySpan<byte> reason, out ProtocolError error)
    {
        status = WebSocketCloseStatus.Empty;
        reason = default;
        error = default;
        if (payload.IsEmpty)
        {
            return true;
        }

        if (payload.Length == 1)
        {
            error = ProtocolError.Protocol("close payload of one byte");
            return false;
        }

        var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!IsValidCode(code))
        {
            error = ProtocolError.Protocol("invalid close code");
            return false;
        }

        reason = payload[2..];
        if (!Utf8.IsValid(reason))
        {
            error = ProtocolError.InvalidData("close reason is not UTF-8"); // RFC 6455 §5.5.1, §8.1
            return false;
        }

        status = (WebSocketCloseStatus)code;
        return true;
    }
}

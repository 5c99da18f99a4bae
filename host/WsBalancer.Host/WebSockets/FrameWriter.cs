using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Writes RFC 6455 frames (§5.2) into a buffer writer: a header on its own (the relay forwards payloads itself),
/// or whole data, ping, pong and close frames. Lengths always use the minimal encoding.
/// </summary>
internal static class FrameWriter
{
    /// <summary>A close reason fits a control frame's 125 bytes after the 2-byte code (RFC 6455 §5.5).</summary>
    public const int MaxCloseReasonBytes = 123;

    public static int HeaderLength(long payloadLength, bool masked) =>
        (payloadLength <= 125 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + (masked ? 4 : 0);

    /// <summary>Writes a header into <paramref name="destination"/>; a mask key of 0 with <paramref name="masked"/> set is a valid (if weak) key.</summary>
    /// <param name="rsv">Reserved bits as in <see cref="FrameHeader.Rsv"/>.</param>
    /// <returns>The bytes written (<see cref="HeaderLength"/>).</returns>
    public static int WriteHeader(Span<byte> destination, bool fin, byte rsv, WsOpcode opcode, long payloadLength, bool masked, uint maskKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        var length = HeaderLength(payloadLength, masked);
        if (destination.Length < length)
        {
            throw new ArgumentException("Destination is shorter than the header.", nameof(destination));
        }

        destination[0] = (byte)((fin ? 0x80 : 0) | ((rsv & 0b111) << 4) | (byte)opcode);
        var maskBit = masked ? 0x80 : 0;
        int keyAt;
        if (payloadLength <= 125)
        {
            destination[1] = (byte)(maskBit | (int)payloadLength);
            keyAt = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            keyAt = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
            keyAt = 10;
        }

        if (masked)
        {
            MemoryMarshal.Write(destination[keyAt..], in maskKey);
        }

        return length;
    }

    /// <summary>Writes one whole frame; a masked one gets a fresh key from <see cref="MaskKeySource"/>.</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, WsOpcode opcode, ReadOnlySpan<byte> payload, bool fin, bool masked)
    {
        var key = masked ? MaskKeySource.Next() : 0u;
        var headerLength = WriteHeader(writer.GetSpan(FrameHeader.MaxLength), fin, 0, opcode, payload.Length, masked, key);
        writer.Advance(headerLength);
        var written = 0;
        while (written < payload.Length)
        {
            var destination = writer.GetSpan(1);
            var count = Math.Min(destination.Length, payload.Length - written);
            WebSocketMask.Apply(payload.Slice(written, count), destination, key, written);
            writer.Advance(count);
            written += count;
        }
    }

    /// <summary>Writes a close frame; the reason is cut to <see cref="MaxCloseReasonBytes"/> on a code point boundary.</summary>
    /// <param name="status"><see cref="WebSocketCloseStatus.Empty"/> writes an empty payload (no code, no reason).</param>
    public static void WriteClose(IBufferWriter<byte> writer, WebSocketCloseStatus status, ReadOnlySpan<char> reason, bool masked)
    {
        Span<byte> payload = stackalloc byte[2 + MaxCloseReasonBytes];
        var length = FormatClosePayload(payload, status, reason);
        WriteFrame(writer, WsOpcode.Close, payload[..length], fin: true, masked);
    }

    /// <summary>Formats a close payload (code + trimmed reason) into <paramref name="destination"/> (at least 125 bytes).</summary>
    public static int FormatClosePayload(Span<byte> destination, WebSocketCloseStatus status, ReadOnlySpan<char> reason)
    {
        if (status == WebSocketCloseStatus.Empty)
        {
            return 0; // 1005 means "no code" and is never put on the wire (RFC 6455 §7.4.1)
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)status);
        var reasonBytes = destination.Slice(2, MaxCloseReasonBytes);
        // Encoder.Convert with flush stops before a code point that does not fit, so the cut never splits one.
        Encoding.UTF8.GetEncoder().Convert(reason, reasonBytes, flush: true, out _, out var written, out _);
        return 2 + written;
    }
}

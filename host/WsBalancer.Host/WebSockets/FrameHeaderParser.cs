using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Parses a frame header (RFC 6455 §5.2) and applies every check that needs no message state. A violation is
/// reported on the first byte that shows it, even when the rest of the header has not arrived yet.
/// </summary>
internal static class FrameHeaderParser
{
    /// <summary>Parses the header at the start of <paramref name="buffer"/> (which may hold more frames after it).</summary>
    /// <param name="rules">What the leg's inbound frames must look like.</param>
    /// <param name="header">The header, when <see cref="FrameParseStatus.Header"/> is returned.</param>
    /// <param name="error">The close code and reason, when <see cref="FrameParseStatus.Error"/> is returned.</param>
    public static FrameParseStatus TryParse(in ReadOnlySequence<byte> buffer, FrameRules rules, out FrameHeader header, out ProtocolError error)
    {
        var first = buffer.FirstSpan;
        if (first.Length >= FrameHeader.MaxLength || buffer.IsSingleSegment)
        {
            return TryParse(first, rules, out header, out error);
        }

        // A header split over segments is rare (it needs a segment boundary in its 14 bytes): copy it.
        Span<byte> copy = stackalloc byte[FrameHeader.MaxLength];
        var length = (int)Math.Min(buffer.Length, FrameHeader.MaxLength);
        buffer.Slice(0, length).CopyTo(copy);
        return TryParse(copy[..length], rules, out header, out error);
    }

    /// <inheritdoc cref="TryParse(in ReadOnlySequence{byte}, FrameRules, out FrameHeader, out ProtocolError)"/>
    public static FrameParseStatus TryParse(ReadOnlySpan<byte> bytes, FrameRules rules, out FrameHeader header, out ProtocolError error)
    {
        header = default;
        error = default;
        if (bytes.IsEmpty)
        {
            return FrameParseStatus.NeedMoreData;
        }

        var b0 = bytes[0];
        var fin = (b0 & 0x80) != 0;
        var rsv = (byte)((b0 >> 4) & 0b111);
        var opcode = (WsOpcode)(b0 & 0x0F);
        if (CheckFirstByte(fin, rsv, opcode, rules) is { } firstByteError)
        {
            error = firstByteError;
            return FrameParseStatus.Error;
        }

        if (bytes.Length < 2)
        {
            return FrameParseStatus.NeedMoreData;
        }

        var b1 = bytes[1];
        var masked = (b1 & 0x80) != 0;
        var length7 = b1 & 0x7F;
        if (masked != rules.RequireMask)
        {
            // RFC 6455 §5.1: a server fails a connection on an unmasked frame, a client on a masked one.
            error = ProtocolError.Protocol(masked ? "masked frame from a server" : "unmasked frame from a client");
            return FrameParseStatus.Error;
        }

        if ((byte)opcode >= 0x8 && length7 > 125)
        {
            error = ProtocolError.Protocol("control frame payload over 125 bytes"); // RFC 6455 §5.5
            return FrameParseStatus.Error;
        }

        var lengthBytes = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        var headerLength = 2 + lengthBytes + (masked ? 4 : 0);
        if (length7 == 127 && bytes.Length >= 3 && (bytes[2] & 0x80) != 0)
        {
            error = ProtocolError.Protocol("64-bit payload length with the top bit set"); // RFC 6455 §5.2
            return FrameParseStatus.Error;
        }

        if (bytes.Length < 2 + lengthBytes)
        {
            return FrameParseStatus.NeedMoreData;
        }

        long payloadLength = length7;
        if (length7 == 126)
        {
            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
            if (payloadLength < 126)
            {
                error = ProtocolError.Protocol("payload length not minimally encoded"); // RFC 6455 §5.2
                return FrameParseStatus.Error;
            }
        }
        else if (length7 == 127)
        {
            payloadLength = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]);
            if (payloadLength <= ushort.MaxValue)
            {
                error = ProtocolError.Protocol("payload length not minimally encoded");
                return FrameParseStatus.Error;
            }
        }

        if (bytes.Length < headerLength)
        {
            return FrameParseStatus.NeedMoreData;
        }

        var maskKey = masked ? MemoryMarshal.Read<uint>(bytes[(headerLength - 4)..]) : 0u;
        header = new FrameHeader(fin, rsv, opcode, masked, payloadLength, maskKey, headerLength);
        return FrameParseStatus.Header;
    }

    private static ProtocolError? CheckFirstByte(bool fin, byte rsv, WsOpcode opcode, FrameRules rules)
    {
        if (opcode is not (WsOpcode.Continuation or WsOpcode.Text or WsOpcode.Binary or WsOpcode.Close or WsOpcode.Ping or WsOpcode.Pong))
        {
            return ProtocolError.Protocol("reserved opcode"); // RFC 6455 §5.2: 0x3-0x7 and 0xB-0xF
        }

        var isControl = (byte)opcode >= 0x8;
        if ((rsv & 0b011) != 0)
        {
            return ProtocolError.Protocol("reserved bit set"); // RSV2/RSV3: no extension we negotiate defines them
        }

        if ((rsv & 0b100) != 0)
        {
            // RFC 7692 §6: RSV1 marks a compressed message; it is set on the first frame only and never on control frames.
            if (!rules.PerMessageDeflate)
            {
                return ProtocolError.Protocol("reserved bit set");
            }

            if (isControl || opcode == WsOpcode.Continuation)
            {
                return ProtocolError.Protocol("RSV1 on a control or continuation frame");
            }
        }

        if (isControl && !fin)
        {
            return ProtocolError.Protocol("fragmented control frame"); // RFC 6455 §5.5
        }

        return null;
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>How a frame's payload length is written (RFC 6455 §5.2 demands the minimal form; tests may break that).</summary>
public enum LengthEncoding
{
    /// <summary>7 bits up to 125, then 16 bits up to 65535, then 64 bits.</summary>
    Minimal,

    /// <summary>Always the 16-bit form (126 + 2 bytes).</summary>
    Extended16,

    /// <summary>Always the 64-bit form (127 + 8 bytes).</summary>
    Extended64,
}

/// <summary>
/// A frame to put on the wire exactly as described: any FIN, RSV bits and opcode (reserved ones included), masked with
/// a chosen or random key or not masked, and a declared length that may differ from the payload's.
/// </summary>
public sealed record OutgoingFrame(byte Opcode, byte[] Payload)
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    public bool Fin { get; init; } = true;

    /// <summary>RSV1..RSV3 as a 3-bit number (RSV1 is 4).</summary>
    public byte Rsv { get; init; }

    public bool Masked { get; init; } = true;

    /// <summary>The mask key; null picks a random one per encoding.</summary>
    public byte[]? MaskKey { get; init; }

    /// <summary>The length written in the header; null writes the payload's real length.</summary>
    public ulong? DeclaredLength { get; init; }

    public LengthEncoding LengthEncoding { get; init; }

    public static OutgoingFrame OfText(string text, bool fin = true) => new(Text, Encoding.UTF8.GetBytes(text)) { Fin = fin };

    public static OutgoingFrame OfClose(int code, string reason = "") =>
        new(Close, [(byte)(code >> 8), (byte)code, .. Encoding.UTF8.GetBytes(reason)]);

    /// <summary>The frame's bytes, header and (masked) payload.</summary>
    public byte[] Encode()
    {
        var length = DeclaredLength ?? (ulong)Payload.Length;
        var encoding = LengthEncoding == LengthEncoding.Minimal
            ? length switch { < 126 => LengthEncoding.Minimal, <= ushort.MaxValue => LengthEncoding.Extended16, _ => LengthEncoding.Extended64 }
            : LengthEncoding;
        using var wire = new MemoryStream();
        wire.WriteByte((byte)((Fin ? 0x80 : 0) | ((Rsv & 0x7) << 4) | (Opcode & 0x0F)));
        var maskBit = Masked ? 0x80 : 0;
        Span<byte> extended = stackalloc byte[8];
        switch (encoding)
        {
            case LengthEncoding.Minimal:
                wire.WriteByte((byte)(maskBit | (int)length));
                break;
            case LengthEncoding.Extended16:
                wire.WriteByte((byte)(maskBit | 126));
                BinaryPrimitives.WriteUInt16BigEndian(extended, (ushort)length);
                wire.Write(extended[..2]);
                break;
            default:
                wire.WriteByte((byte)(maskBit | 127));
                BinaryPrimitives.WriteUInt64BigEndian(extended, length);
                wire.Write(extended);
                break;
        }

        var body = (byte[])Payload.Clone();
        if (Masked)
        {
            var key = MaskKey ?? RandomNumberGenerator.GetBytes(4);
            wire.Write(key);
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i % 4];
            }
        }

        wire.Write(body);
        return wire.ToArray();
    }
}

/// <summary>One frame exactly as the balancer sent it (payload unmasked if it was masked).</summary>
public sealed record WireFrame(bool Fin, byte Rsv, byte Opcode, bool Masked, byte[] Payload)
{
    public bool IsClose => Opcode == OutgoingFrame.Close;

    /// <summary>The close code, or null when the close frame had no payload (or this is not a close frame).</summary>
    public int? CloseCode => IsClose && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    public string CloseReason => IsClose && Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : string.Empty;

    public string Text => Encoding.UTF8.GetString(Payload);

    public override string ToString() => $"{(Fin ? "FIN " : string.Empty)}rsv={Rsv} op={Opcode} len={Payload.Length}{(IsClose ? $" code={CloseCode}" : string.Empty)}";
}

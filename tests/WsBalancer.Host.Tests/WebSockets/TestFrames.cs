using System.Buffers.Binary;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>
/// A test-side RFC 6455 frame encoder and decoder, written independently of the production writer and parser so
/// tests can build frames the production code must refuse (any bits, any length encoding) and read what it wrote.
/// </summary>
internal static class TestFrames
{
    public static readonly byte[] SampleKey = [0x37, 0xFA, 0x21, 0x3D];

    /// <param name="lengthBytes">Force a length encoding: 0 (7-bit), 2 or 8; null picks the minimal one.</param>
    public static byte[] Build(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0, byte[]? maskKey = null, int? lengthBytes = null)
    {
        var encoding = lengthBytes ?? (payload.Length <= 125 ? 0 : payload.Length <= 0xFFFF ? 2 : 8);
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        var maskBit = maskKey is null ? 0 : 0x80;
        switch (encoding)
        {
            case 0:
                frame.Add((byte)(maskBit | payload.Length));
                break;
            case 2:
                frame.Add((byte)(maskBit | 126));
                frame.Add((byte)(payload.Length >> 8));
                frame.Add((byte)payload.Length);
                break;
            default:
                frame.Add((byte)(maskBit | 127));
                var length = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
                frame.AddRange(length);
                break;
        }

        if (maskKey is not null)
        {
            frame.AddRange(maskKey);
        }

        for (var i = 0; i < payload.Length; i++)
        {
            frame.Add(maskKey is null ? payload[i] : (byte)(payload[i] ^ maskKey[i % 4]));
        }

        return [.. frame];
    }

    public static byte[] Masked(int opcode, ReadOnlySpan<byte> payload, bool fin = true, int rsv = 0) =>
        Build(opcode, payload, fin, rsv, SampleKey);

    public static byte[] Close(int code, ReadOnlySpan<byte> reason, byte[]? maskKey)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        reason.CopyTo(payload.AsSpan(2));
        return Build(0x8, payload, maskKey: maskKey);
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];

    /// <summary>Decodes a byte stream of whole frames; fails the test on a truncated one.</summary>
    public static List<DecodedFrame> Decode(ReadOnlySpan<byte> bytes)
    {
        var frames = DecodePrefix(bytes, out var tail);
        Assert.True(tail == 0, "truncated frame in the output");
        return frames;
    }

    /// <summary>Decodes the whole frames at the start of <paramref name="bytes"/>; <paramref name="tailBytes"/> counts the bytes of a cut frame after them.</summary>
    public static List<DecodedFrame> DecodePrefix(ReadOnlySpan<byte> bytes, out int tailBytes)
    {
        var frames = new List<DecodedFrame>();
        var at = 0;
        while (true)
        {
            tailBytes = bytes.Length - at;
            if (tailBytes < 2)
            {
                return frames;
            }

            var b0 = bytes[at];
            var b1 = bytes[at + 1];
            var length = (long)(b1 & 0x7F);
            var header = 2;
            if (tailBytes < 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0))
            {
                return frames;
            }

            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(at + 2)..]);
                header = 4;
            }
            else if (length == 127)
            {
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[(at + 2)..]);
                header = 10;
            }

            byte[]? key = null;
            if ((b1 & 0x80) != 0)
            {
                key = bytes.Slice(at + header, 4).ToArray();
                header += 4;
            }

            if (tailBytes < header + length)
            {
                return frames;
            }

            var payload = bytes.Slice(at + header, (int)length).ToArray();
            if (key is not null)
            {
                for (var i = 0; i < payload.Length; i++)
                {
                    payload[i] ^= key[i % 4];
                }
            }

            frames.Add(new DecodedFrame((b0 & 0x80) != 0, (b0 >> 4) & 7, b0 & 0x0F, key, payload));
            at += header + (int)length;
        }
    }
}

internal sealed record DecodedFrame(bool Fin, int Rsv, int Opcode, byte[]? MaskKey, byte[] Payload)
{
    public string Describe() => $"{(Fin ? "F" : "-")}{Rsv}:{Opcode}:{Convert.ToHexString(Payload)}";
}

using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using Bogus;
using WsBalancer.IntegrationTests.Conformance;

namespace WsBalancer.IntegrationTests.Relay;

/// <summary>
/// One piece of a message as the client sends it: a frame of its own (RFC 6455 §5.4), with the control frames a raw
/// client puts on the wire just before it (pings to be answered, unsolicited pongs to be consumed).
/// </summary>
public sealed record Piece(int Offset, int Length, IReadOnlyList<OutgoingFrame> ControlBefore);

/// <summary>A whole message and how it is cut into pieces on the wire.</summary>
public sealed record SequenceMessage(WebSocketMessageType Type, byte[] Payload, IReadOnlyList<Piece> Pieces)
{
    public ReadOnlyMemory<byte> PieceBytes(Piece piece) => Payload.AsMemory(piece.Offset, piece.Length);

    public override string ToString() => $"{Type} of {Payload.Length} bytes in {Pieces.Count} piece(s)";
}

/// <summary>
/// A reproducible random conversation for the differential tests: messages of both types, text valid UTF-8 with 1- to
/// 4-byte code points, sizes from 0 to 256 KiB skewed to small, some fragmented at random offsets (text often inside a
/// code point), pings and unsolicited pongs between frames, and a close with a random code and reason. The same seed
/// gives the same sequence, byte for byte.
/// </summary>
public sealed record MessageSequence(int Seed, IReadOnlyList<SequenceMessage> Messages, int CloseCode, string CloseReason)
{
    // §7.4.1 codes an endpoint may send, and the §7.4.2 ranges for registered and private use.
    private static readonly int[] CloseCodes = [1000, 1000, 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];

    /// <summary>The ping payloads in the order they are sent: a conforming peer answers each with a pong, in order (§5.5.3).</summary>
    public IReadOnlyList<byte[]> Pings =>
        [.. Messages.SelectMany(m => m.Pieces).SelectMany(p => p.ControlBefore).Where(f => f.Opcode == OutgoingFrame.Ping).Select(f => f.Payload)];

    /// <summary>
    /// <paramref name="count"/> random messages from <paramref name="seed"/>, plus an empty text, an empty binary and
    /// a text of 4-byte code points cut at every byte at seeded places. <paramref name="numbered"/> starts every
    /// payload with its index (<see cref="IndexOf"/>), so that a lost, duplicated or reordered one can be named.
    /// </summary>
    public static MessageSequence Generate(int seed, int count, bool numbered = false)
    {
        var random = new Randomizer(seed);
        var messages = new List<SequenceMessage>();
        for (var i = 0; i < count; i++)
        {
            var text = random.Bool(0.6f);
            var body = text ? Utf8Text(random, Size(random)) : random.Bytes(Size(random));
            messages.Add(Cut(random, text, body, random.Bool(0.3f) ? random.Int(2, 8) : 1));
        }

        messages.Insert(random.Int(0, messages.Count), Cut(random, text: true, [], 1));
        messages.Insert(random.Int(0, messages.Count), Cut(random, text: false, [], random.Int(1, 3)));
        var astral = Utf8Text(random, 4 * random.Int(1, 8), fourBytesOnly: true);
        messages.Insert(random.Int(0, messages.Count), Cut(random, text: true, astral, astral.Length));
        if (numbered)
        {
            messages = [.. messages.Select(Number)];
        }

        var reason = Encoding.UTF8.GetString(Utf8Text(random, random.Bool(0.2f) ? 0 : random.Int(1, 123)));
        return new MessageSequence(seed, messages, random.ArrayElement(CloseCodes), reason);
    }

    /// <summary>The index a numbered payload starts with: 4 bytes big-endian for binary, <c>#n:</c> for text.</summary>
    public static int IndexOf(WebSocketMessageType type, byte[] payload)
    {
        if (type == WebSocketMessageType.Binary)
        {
            return BinaryPrimitives.ReadInt32BigEndian(payload);
        }

        var colon = Array.IndexOf(payload, (byte)':');
        Assert.True(payload.Length > 0 && payload[0] == '#' && colon > 1, $"not a numbered text message: {Encoding.UTF8.GetString(payload.AsSpan(0, Math.Min(payload.Length, 40)))}");
        return int.Parse(Encoding.ASCII.GetString(payload, 1, colon - 1), System.Globalization.CultureInfo.InvariantCulture);
    }

    public override string ToString() =>
        $"seed {Seed}: {Messages.Count} messages, {Messages.Sum(m => m.Payload.Length)} bytes, {Messages.Count(m => m.Pieces.Count > 1)} fragmented, {Pings.Count} pings, close {CloseCode}";

    /// <summary>A payload size from 0 to 256 KiB, mostly small, with the length-encoding boundaries (125/126, 65535/65536) likely.</summary>
    private static int Size(Randomizer random) => random.Int(0, 99) switch
    {
        < 8 => 0,
        < 13 => random.ArrayElement([125, 126, 127, 65535, 65536]),
        < 55 => random.Int(1, 125),
        < 75 => random.Int(126, 1024),
        < 90 => random.Int(1025, 65535),
        < 97 => random.Int(65536, 128 * 1024),
        _ => random.Int(128 * 1024, 256 * 1024),
    };

    /// <summary>
    /// Valid UTF-8 of exactly <paramref name="bytes"/> bytes: mostly ASCII (controls and NUL included), with 2-, 3- and
    /// 4-byte code points, noncharacters and the BOM among them; the tail is padded with ASCII to the exact size.
    /// </summary>
    private static byte[] Utf8Text(Randomizer random, int bytes, bool fourBytesOnly = false)
    {
        var text = new byte[bytes];
        Span<byte> encoded = stackalloc byte[4];
        var length = 0;
        while (length < bytes)
        {
            var rune = fourBytesOnly ? new Rune(random.Int(0x10000, 0x10FFFF)) : RandomRune(random);
            var written = rune.EncodeToUtf8(encoded);
            if (length + written > bytes)
            {
                rune = new Rune(random.Int(0x20, 0x7E));
                written = rune.EncodeToUtf8(encoded);
            }

            encoded[..written].CopyTo(text.AsSpan(length));
            length += written;
        }

        return text;
    }

    private static Rune RandomRune(Randomizer random) => random.Int(0, 19) switch
    {
        0 => new Rune(random.Int(0x00, 0x1F)),
        < 10 => new Rune(random.Int(0x20, 0x7E)),
        < 13 => new Rune(random.Int(0x80, 0x7FF)),
        < 15 => new Rune(random.Bool() ? random.Int(0x800, 0xD7FF) : random.Int(0xE000, 0xFFFF)),
        15 => new Rune(random.ArrayElement([0xFEFF, 0xFFFE, 0xFFFF, 0xFFFD, 0xFDD0, 0x10FFFF])),
        _ => new Rune(random.Int(0x10000, 0x10FFFF)),
    };

    /// <summary>
    /// Cuts <paramref name="payload"/> into <paramref name="pieces"/> frames at random offsets (equal offsets make empty
    /// fragments); a text's cut lands inside a multi-byte code point half the time. Control frames go before some pieces.
    /// </summary>
    private static SequenceMessage Cut(Randomizer random, bool text, byte[] payload, int pieces)
    {
        var inside = text ? Enumerable.Range(1, Math.Max(0, payload.Length - 1)).Where(o => (payload[o] & 0xC0) == 0x80).ToArray() : [];
        var cuts = new List<int>();
        for (var i = 1; i < pieces; i++)
        {
            cuts.Add(inside.Length > 0 && random.Bool() ? random.ArrayElement(inside) : random.Int(0, payload.Length));
        }

        cuts.Sort();
        cuts.Add(payload.Length);
        var list = new List<Piece>();
        var offset = 0;
        foreach (var cut in cuts)
        {
            list.Add(new Piece(offset, cut - offset, ControlFrames(random)));
            offset = cut;
        }

        return new SequenceMessage(text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, payload, list);
    }

    private static List<OutgoingFrame> ControlFrames(Randomizer random)
    {
        var frames = new List<OutgoingFrame>();
        while (random.Bool(0.2f))
        {
            var payload = random.Bytes(random.Bool(0.1f) ? 125 : random.Int(0, 24));
            frames.Add(new OutgoingFrame(random.Bool(0.85f) ? OutgoingFrame.Ping : OutgoingFrame.Pong, payload));
        }

        return frames;
    }

    /// <summary>The message with its index in front, its cuts moved along, so a text cut still falls where it fell.</summary>
    private static SequenceMessage Number(SequenceMessage message, int index)
    {
        var prefix = new byte[4];
        if (message.Type == WebSocketMessageType.Binary)
        {
            BinaryPrimitives.WriteInt32BigEndian(prefix, index);
        }
        else
        {
            prefix = Encoding.ASCII.GetBytes($"#{index}:");
        }

        var pieces = message.Pieces.Select((p, i) => i == 0
            ? p with { Length = p.Length + prefix.Length }
            : p with { Offset = p.Offset + prefix.Length }).ToList();
        return new SequenceMessage(message.Type, [.. prefix, .. message.Payload], pieces);
    }
}

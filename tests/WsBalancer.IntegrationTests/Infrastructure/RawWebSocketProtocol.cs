using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>RFC 6455 §5.2 opcodes.</summary>
public enum RawOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// <summary>One frame exactly as it was on the wire (payload already unmasked).</summary>
public sealed record RawFrame(RawOpcode Opcode, bool Fin, byte Rsv, bool Masked, byte[] Payload)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public bool IsControl => (byte)Opcode >= 0x8;
}

/// <summary>An HTTP/1.1 request or response head: the start line and the header lines, in order, duplicates kept.</summary>
public sealed record RawHttpHead(string StartLine, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>Every value of a header (case-insensitive name), one per header line.</summary>
    public IReadOnlyList<string> Values(string name) =>
        [.. Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    public string? Value(string name) => Values(name) is { Count: > 0 } values ? string.Join(", ", values) : null;
}

/// <summary>
/// Just enough RFC 6455 to drive the balancer below what <see cref="System.Net.WebSockets.WebSocket"/> exposes: manual
/// control frames, fragments, exact handshake headers. Frames are read and written whole, one at a time.
/// </summary>
public static class RawWebSocketProtocol
{
    /// <summary>RFC 6455 §1.3: the GUID appended to the key before hashing.</summary>
    public const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private const int MaxHeadBytes = 64 * 1024;

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    public static string AcceptFor(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));

    /// <summary>Reads an HTTP head up to the blank line, byte by byte so that nothing after it is consumed.</summary>
    public static async Task<RawHttpHead> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(512);
        var one = new byte[1];
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (bytes.Count >= MaxHeadBytes)
            {
                throw new InvalidDataException($"HTTP head over {MaxHeadBytes} bytes");
            }

            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new EndOfStreamException("connection closed inside the HTTP head");
            }

            bytes.Add(one[0]);
        }

        var lines = Encoding.Latin1.GetString([.. bytes]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }

        return new RawHttpHead(lines[0], headers);
    }

    /// <summary>Writes one frame; clients must mask (§5.3), servers must not.</summary>
    public static async Task WriteFrameAsync(Stream stream, RawOpcode opcode, ReadOnlyMemory<byte> payload, bool fin, bool mask, CancellationToken cancellationToken)
    {
        var header = new byte[14];
        header[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
        var length = 2;
        if (payload.Length < 126)
        {
            header[1] = (byte)payload.Length;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)payload.Length);
            length += 2;
        }
        else
        {
            header[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), (ulong)payload.Length);
            length += 8;
        }

        var body = payload.ToArray();
        if (mask)
        {
            header[1] |= 0x80;
            var key = RandomNumberGenerator.GetBytes(4);
            key.CopyTo(header, length);
            length += 4;
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i % 4];
            }
        }

        // One write per frame, so that a frame is never interleaved with another writer's bytes.
        var frame = new byte[length + body.Length];
        header.AsSpan(0, length).CopyTo(frame);
        body.CopyTo(frame, length);
        await stream.WriteAsync(frame, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads one frame; throws <see cref="EndOfStreamException"/> when the peer closed the TCP connection.</summary>
    public static async Task<RawFrame> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[2];
        await stream.ReadExactlyAsync(header, cancellationToken);
        var fin = (header[0] & 0x80) != 0;
        var rsv = (byte)((header[0] >> 4) & 0x7);
        var opcode = (RawOpcode)(header[0] & 0x0F);
        var masked = (header[1] & 0x80) != 0;
        ulong length = (ulong)(header[1] & 0x7F);
        if (length == 126)
        {
            var extended = new byte[2];
            await stream.ReadExactlyAsync(extended, cancellationToken);
            length = BinaryPrimitives.ReadUInt16BigEndian(extended);
        }
        else if (length == 127)
        {
            var extended = new byte[8];
            await stream.ReadExactlyAsync(extended, cancellationToken);
            length = BinaryPrimitives.ReadUInt64BigEndian(extended);
        }

        if (length > 64UL * 1024 * 1024)
        {
            throw new InvalidDataException($"frame of {length} bytes is over the test limit");
        }

        var key = new byte[4];
        if (masked)
        {
            await stream.ReadExactlyAsync(key, cancellationToken);
        }

        var payload = new byte[(int)length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        if (masked)
        {
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= key[i % 4];
            }
        }

        return new RawFrame(opcode, fin, rsv, masked, payload);
    }
}

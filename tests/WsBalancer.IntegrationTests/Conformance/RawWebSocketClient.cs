using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>
/// A WebSocket client that puts any bytes on the wire, for conformance cases no real client would send: reserved
/// bits and opcodes, unmasked or oddly encoded frames, lengths that lie, frames written a few bytes at a time. Unlike
/// the infrastructure's raw client it never repairs or rejects what it sends, and its reader reports exactly what
/// came back, down to the TCP connection closing. Every wait is bounded by <see cref="Timeouts.Default"/>.
/// </summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawWebSocketClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects over TCP and upgrades <paramref name="target"/>; throws unless the answer is a correct 101.</summary>
    public static async Task<RawWebSocketClient> ConnectAsync(Uri frontendUri, string target, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(frontendUri.Host, frontendUri.Port, timeout.Token);
            var key = RawWebSocketProtocol.NewKey();
            var request = $"GET {target} HTTP/1.1\r\nHost: {frontendUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
            var response = await RawWebSocketProtocol.ReadHeadAsync(stream, timeout.Token);
            Assert.Equal("101", response.StartLine.Split(' ').ElementAtOrDefault(1));
            Assert.Equal(RawWebSocketProtocol.AcceptFor(key), response.Value("Sec-WebSocket-Accept")); // §4.2.2
            return new RawWebSocketClient(tcp);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the frames back to back in a single write, so they arrive together. False when the balancer had already
    /// closed the connection (a strict peer may fail it before the client is done writing).
    /// </summary>
    public async Task<bool> SendAsync(IEnumerable<OutgoingFrame> frames, CancellationToken cancellationToken) =>
        await SendBytesAsync(frames.SelectMany(f => f.Encode()).ToArray(), cancellationToken);

    public Task<bool> SendAsync(OutgoingFrame frame, CancellationToken cancellationToken) => SendAsync([frame], cancellationToken);

    /// <summary>Writes raw bytes, e.g. part of an encoded frame; false when the connection was already closed.</summary>
    public async Task<bool> SendBytesAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        try
        {
            await _stream.WriteAsync(bytes, timeout.Token);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes the frames' bytes in pieces of <paramref name="chopSize"/> bytes, each its own write (NoDelay: its own
    /// segment), waiting <paramref name="delay"/> between pieces when the case is about slow arrival. False when the
    /// connection was closed before the last piece.
    /// </summary>
    public async Task<bool> SendChoppedAsync(IEnumerable<OutgoingFrame> frames, int chopSize, CancellationToken cancellationToken, TimeSpan delay = default)
    {
        var bytes = frames.SelectMany(f => f.Encode()).ToArray();
        for (var offset = 0; offset < bytes.Length; offset += chopSize)
        {
            if (offset > 0 && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken);
            }

            if (!await SendBytesAsync(bytes.AsMemory(offset, Math.Min(chopSize, bytes.Length - offset)), cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How the balancer ended the TCP connection, once a read has seen it end.</summary>
    public TcpEnd TcpEnd { get; private set; }

    /// <summary>Reads the next frame; null when the TCP connection ended (<see cref="TcpEnd"/> tells how).</summary>
    public async Task<WireFrame?> ReceiveFrameAsync(CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        try
        {
            var head = new byte[2];
            var read = await _stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, timeout.Token);
            if (read < head.Length)
            {
                TcpEnd = read == 0 ? TcpEnd.Closed : TcpEnd.ClosedMidFrame;
                return null;
            }

            var length = (ulong)(head[1] & 0x7F);
            if (length >= 126)
            {
                var extended = new byte[length == 126 ? 2 : 8];
                await _stream.ReadExactlyAsync(extended, timeout.Token);
                length = extended.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(extended) : BinaryPrimitives.ReadUInt64BigEndian(extended);
            }

            Assert.InRange(length, 0UL, 64UL * 1024 * 1024); // far above any case: a wild length is a broken stream
            var masked = (head[1] & 0x80) != 0;
            var key = new byte[masked ? 4 : 0];
            await _stream.ReadExactlyAsync(key, timeout.Token);
            var payload = new byte[length];
            await _stream.ReadExactlyAsync(payload, timeout.Token);
            for (var i = 0; i < payload.Length && masked; i++)
            {
                payload[i] ^= key[i % 4];
            }

            return new WireFrame((head[0] & 0x80) != 0, (byte)((head[0] >> 4) & 0x7), (byte)(head[0] & 0x0F), masked, payload);
        }
        catch (EndOfStreamException)
        {
            TcpEnd = TcpEnd.ClosedMidFrame;
            return null;
        }
        catch (IOException)
        {
            TcpEnd = TcpEnd.Reset; // e.g. the balancer closed with unread bytes of ours in its buffer
            return null;
        }
    }

    /// <summary>
    /// Reads until the balancer closes the TCP connection. When its close frame arrives, answers it with the same
    /// payload (§5.5.1) unless <paramref name="answerClose"/> is false, as a client does that already sent its own.
    /// </summary>
    public async Task<Transcript> ReadUntilClosedAsync(CancellationToken cancellationToken, bool answerClose = true)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var frames = new List<WireFrame>();
        while (await ReceiveFrameAsync(timeout.Token) is { } frame)
        {
            frames.Add(frame);
            if (frame.IsClose && answerClose && frames.Count(f => f.IsClose) == 1)
            {
                await SendBytesAsync(new OutgoingFrame(OutgoingFrame.Close, frame.Payload).Encode(), timeout.Token);
            }
        }

        return new Transcript(frames, TcpEnd);
    }

    /// <summary>Starts the close handshake with <paramref name="code"/> and reads the rest of the conversation.</summary>
    public async Task<Transcript> CloseAsync(int code, CancellationToken cancellationToken, string reason = "")
    {
        await SendAsync(OutgoingFrame.OfClose(code, reason), cancellationToken);
        return await ReadUntilClosedAsync(cancellationToken, answerClose: false);
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>How a TCP connection ended, as the reader saw it.</summary>
public enum TcpEnd
{
    /// <summary>Not ended yet.</summary>
    Open,

    /// <summary>An orderly close (FIN) between two frames.</summary>
    Closed,

    /// <summary>An orderly close inside a frame: the balancer sent a truncated frame.</summary>
    ClosedMidFrame,

    /// <summary>A reset.</summary>
    Reset,
}

/// <summary>Every frame the balancer sent on one connection, up to its closing the TCP connection, and how it closed it.</summary>
public sealed record Transcript(IReadOnlyList<WireFrame> Frames, TcpEnd End)
{
    /// <summary>The first close frame, or null when the TCP connection was dropped without one.</summary>
    public WireFrame? Close => Frames.FirstOrDefault(f => f.IsClose);

    public IReadOnlyList<WireFrame> BeforeClose => [.. Frames.TakeWhile(f => !f.IsClose)];

    /// <summary>Frames after the first close: a conforming endpoint sends nothing after its close (§5.5.1).</summary>
    public IReadOnlyList<WireFrame> AfterClose => [.. Frames.SkipWhile(f => !f.IsClose).Skip(1)];

    /// <summary>The data messages before the close, fragments joined: (opcode of the first frame, payload).</summary>
    public IReadOnlyList<(byte Opcode, byte[] Payload)> Messages
    {
        get
        {
            var messages = new List<(byte, byte[])>();
            var parts = new List<WireFrame>();
            foreach (var frame in BeforeClose.Where(f => f.Opcode < 0x8))
            {
                parts.Add(frame);
                if (frame.Fin)
                {
                    messages.Add((parts[0].Opcode, [.. parts.SelectMany(p => p.Payload)]));
                    parts.Clear();
                }
            }

            Assert.Empty(parts); // a message left unfinished before the close is itself a violation
            return messages;
        }
    }

    public IReadOnlyList<byte[]> Pongs => [.. BeforeClose.Where(f => f.Opcode == OutgoingFrame.Pong).Select(f => f.Payload)];

    public override string ToString() => string.Join(" | ", Frames.Select(f => f.ToString()).Append(End.ToString()));
}

using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class FrameWriterTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(125L)]
    [InlineData(126L)]
    [InlineData(65535L)]
    [InlineData(65536L)]
    [InlineData(1L << 40)]
    public void WriteHeader_AnyLength_ParsesBackMinimallyEncoded(long length)
    {
        foreach (var masked in new[] { false, true })
        {
            var bytes = new byte[FrameHeader.MaxLength];
            var written = FrameWriter.WriteHeader(bytes, fin: false, rsv: 4, WsOpcode.Binary, length, masked, 0xA1B2C3D4);

            var rules = new FrameRules(RequireMask: masked, PerMessageDeflate: true);
            Assert.Equal(FrameParseStatus.Header, FrameHeaderParser.TryParse(bytes.AsSpan(0, written), rules, out var header, out _));
            Assert.Equal(new FrameHeader(false, 4, WsOpcode.Binary, masked, length, masked ? 0xA1B2C3D4 : 0, written), header);
            Assert.Equal(FrameWriter.HeaderLength(length, masked), written);
        }
    }

    [Fact]
    public void WriteFrame_Masked_DecodesToThePayloadUnderAFreshKey()
    {
        var writer = new ArrayBufferWriter<byte>();
        var payload = Encoding.UTF8.GetBytes(new string('x', 70_000));

        FrameWriter.WriteFrame(writer, WsOpcode.Text, payload, fin: true, masked: true);
        FrameWriter.WriteFrame(writer, WsOpcode.Text, payload, fin: true, masked: true);

        var frames = TestFrames.Decode(writer.WrittenSpan);
        Assert.Equal(2, frames.Count);
        Assert.All(frames, frame => Assert.Equal(payload, frame.Payload));
        Assert.NotEqual(frames[0].MaskKey, frames[1].MaskKey);
    }

    [Fact]
    public void WriteClose_LongReason_IsCutOnACodePointBoundaryWithin123Bytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        var reason = new string('a', 120) + "😀😀"; // the first emoji ends at byte 124: it does not fit

        FrameWriter.WriteClose(writer, WebSocketCloseStatus.PolicyViolation, reason, masked: false);

        var frame = Assert.Single(TestFrames.Decode(writer.WrittenSpan));
        Assert.Equal(0x8, frame.Opcode);
        Assert.True(ClosePayload.TryRead(frame.Payload, out var status, out var written, out _));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal(new string('a', 120), Encoding.UTF8.GetString(written));
    }

    [Fact]
    public void WriteClose_Empty_WritesNoPayload()
    {
        var writer = new ArrayBufferWriter<byte>();

        FrameWriter.WriteClose(writer, WebSocketCloseStatus.Empty, "ignored", masked: true);

        Assert.Empty(Assert.Single(TestFrames.Decode(writer.WrittenSpan)).Payload);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteFrame_ReadByTheRuntimesWebSocket_ArrivesAsWritten(bool masked)
    {
        var ct = TestContext.Current.CancellationToken;
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteFrame(writer, WsOpcode.Text, "héllo "u8, fin: false, masked);
        FrameWriter.WriteFrame(writer, WsOpcode.Ping, "are you there"u8, fin: true, masked);
        FrameWriter.WriteFrame(writer, WsOpcode.Continuation, "wörld"u8, fin: true, masked);
        FrameWriter.WriteFrame(writer, WsOpcode.Binary, new byte[300], fin: true, masked);
        FrameWriter.WriteClose(writer, WebSocketCloseStatus.EndpointUnavailable, "going away", masked);

        // A masked writer is a client, so the reading socket is the server, and the other way round.
        using var socket = WebSocket.CreateFromStream(new DuplexStream(new MemoryStream(writer.WrittenSpan.ToArray()), Stream.Null), new WebSocketCreationOptions { IsServer = masked, KeepAliveInterval = TimeSpan.Zero });
        var buffer = new byte[1000];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));

        var text = await ReceiveMessageAsync(socket, buffer, timeout.Token);
        var binary = await ReceiveMessageAsync(socket, buffer, timeout.Token);
        var close = await socket.ReceiveAsync(buffer, timeout.Token);

        Assert.Equal((WebSocketMessageType.Text, "héllo wörld"), (text.Type, Encoding.UTF8.GetString(text.Bytes)));
        Assert.Equal((WebSocketMessageType.Binary, 300), (binary.Type, binary.Bytes.Length));
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.CloseStatus);
        Assert.Equal("going away", socket.CloseStatusDescription);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Bytes)> ReceiveMessageAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }
}

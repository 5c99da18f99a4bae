using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class ControlFrameOutboxTests
{
    [Fact]
    public void TryEnqueue_WhenFull_APongReplacesTheNewestPongAndAPingIsRefused()
    {
        var outbox = new ControlFrameOutbox(new Pipe().Reader);
        for (var i = 0; i < ControlFrameOutbox.Capacity; i++)
        {
            Assert.True(outbox.TryEnqueue(i % 2 == 0 ? WsOpcode.Pong : WsOpcode.Ping, Encoding.UTF8.GetBytes($"#{i}")));
        }

        Assert.False(outbox.TryEnqueue(WsOpcode.Ping, "refused"u8));
        Assert.True(outbox.TryEnqueue(WsOpcode.Pong, "latest"u8));

        var frames = Drain(outbox, out var closed);
        Assert.False(closed);
        Assert.Equal(ControlFrameOutbox.Capacity, frames.Count);
        Assert.Equal("latest", Encoding.UTF8.GetString(frames[ControlFrameOutbox.Capacity - 2].Payload)); // #14 was the newest pong
        Assert.Equal("#15", Encoding.UTF8.GetString(frames[^1].Payload));
        Assert.False(outbox.HasPending);
    }

    [Fact]
    public void TryEnqueue_DataOpcodeOrLongPayload_IsRefused()
    {
        var outbox = new ControlFrameOutbox(new Pipe().Reader);

        Assert.False(outbox.TryEnqueue(WsOpcode.Text, "x"u8));
        Assert.False(outbox.TryEnqueue(WsOpcode.Close, "x"u8));
        Assert.False(outbox.TryEnqueue(WsOpcode.Pong, new byte[126]));
        Assert.True(outbox.TryEnqueue(WsOpcode.Pong, new byte[125]));
    }

    [Fact]
    public void TryEnqueueClose_WhenFull_StillGoesOutLastAndOnlyOnce()
    {
        var outbox = new ControlFrameOutbox(new Pipe().Reader);
        for (var i = 0; i < ControlFrameOutbox.Capacity; i++)
        {
            outbox.TryEnqueue(WsOpcode.Ping, ""u8);
        }

        Assert.True(outbox.TryEnqueueClose(WebSocketCloseStatus.NormalClosure, "bye"));
        Assert.False(outbox.TryEnqueueClose(WebSocketCloseStatus.InternalServerError, "again"));
        Assert.True(outbox.IsClosing);

        var frames = Drain(outbox, out var closed);
        Assert.True(closed);
        Assert.Equal(0x8, frames[^1].Opcode);
        Assert.Single(frames, frame => frame.Opcode == 0x8);
    }

    [Fact]
    public async Task TryEnqueue_WakesAPendingRead()
    {
        var ct = TestContext.Current.CancellationToken;
        var pipe = new Pipe();
        var outbox = new ControlFrameOutbox(pipe.Reader);
        var reading = pipe.Reader.ReadAsync(ct).AsTask();

        outbox.TryEnqueue(WsOpcode.Pong, ""u8);

        Assert.True((await reading.WaitAsync(TimeSpan.FromSeconds(10), ct)).IsCanceled);
    }

    private static List<DecodedFrame> Drain(ControlFrameOutbox outbox, out bool closed)
    {
        var writer = new ArrayBufferWriter<byte>();
        closed = outbox.DrainTo(writer, masked: true, out _);
        return TestFrames.Decode(writer.WrittenSpan);
    }
}

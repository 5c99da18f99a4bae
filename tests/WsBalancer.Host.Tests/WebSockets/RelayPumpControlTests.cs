using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>Control frames are consumed and surfaced; the outbox gets frames onto a leg a pump writes.</summary>
public sealed class RelayPumpControlTests
{
    [Theory]
    [InlineData("whole")]
    [InlineData("bytewise")]
    public async Task RunAsync_PingBetweenFragments_IsSurfacedNotForwardedAndTheMessageGoesOn(string chunking)
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new RecordingEvents();
        var input = TestFrames.Concat(
            TestFrames.Masked(0x1, "fragment1"u8, fin: false),
            TestFrames.Masked(0x9, "pongme 1!"u8),
            TestFrames.Masked(0x0, "fragment2"u8),
            TestFrames.Masked(0xA, "unsolicited"u8));

        var (outcome, output) = await PumpHarness.RunAsync(input, PumpHarness.FromClient, PumpHarness.Named(chunking), events, ct);

        Assert.Equal(RelayEnd.InboundEnded, outcome.End);
        Assert.Equal(["fragment1", "fragment2"], TestFrames.Decode(output).Select(frame => Encoding.UTF8.GetString(frame.Payload)));
        Assert.Equal("pongme 1!", Encoding.UTF8.GetString(Assert.Single(events.Pings)));
        Assert.Equal("unsolicited", Encoding.UTF8.GetString(Assert.Single(events.Pongs)));
    }

    [Fact]
    public async Task RunAsync_PeerClose_IsSurfacedWithCodeAndReasonAndNothingAfterItIsRead()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new RecordingEvents();
        var input = TestFrames.Concat(
            TestFrames.Masked(0x1, "last words"u8),
            TestFrames.Close(4001, "bye ✓"u8, TestFrames.SampleKey),
            TestFrames.Masked(0x1, "after the close"u8),
            TestFrames.Masked(0x9, ""u8));

        var (outcome, output) = await PumpHarness.RunAsync(input, PumpHarness.FromClient, PumpHarness.Whole, events, ct);

        Assert.Equal(new RelayOutcome(RelayEnd.PeerClosed, (WebSocketCloseStatus)4001, "bye ✓", false), outcome);
        Assert.Equal("last words", Encoding.UTF8.GetString(Assert.Single(TestFrames.Decode(output)).Payload));
        Assert.Empty(events.Pings);
    }

    [Fact]
    public async Task RunAsync_EmptyClose_IsNoStatusWithoutReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var (outcome, _) = await PumpHarness.RunAsync(TestFrames.Build(0x8, []), PumpHarness.FromBackend, PumpHarness.Whole, new RecordingEvents(), ct);

        Assert.Equal(new RelayOutcome(RelayEnd.PeerClosed, WebSocketCloseStatus.Empty, null, false), outcome);
    }

    [Fact]
    public async Task RunAsync_ClosePartwayThroughAFragmentedMessage_IsStillSurfaced()
    {
        // Autobahn 7.1.5: a close may come between fragments; the unfinished message is not completed.
        var ct = TestContext.Current.CancellationToken;
        var input = TestFrames.Concat(TestFrames.Masked(0x1, "fragment1"u8, fin: false), TestFrames.Close(1000, ""u8, TestFrames.SampleKey), TestFrames.Masked(0x0, "fragment2"u8));
        var events = new RecordingEvents();

        var (outcome, _) = await PumpHarness.RunAsync(input, PumpHarness.FromClient, PumpHarness.Bytewise, events, ct);

        Assert.Equal((RelayEnd.PeerClosed, WebSocketCloseStatus.NormalClosure), (outcome.End, outcome.CloseStatus));
        Assert.All(events.Flushes, count => Assert.Equal(0, count));
    }

    [Fact]
    public async Task RunAsync_MessagesFlushed_CountsWholeMessagesOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new RecordingEvents();
        var input = TestFrames.Concat(
            TestFrames.Masked(0x1, "one"u8),
            TestFrames.Masked(0x2, "two-a"u8, fin: false),
            TestFrames.Masked(0x9, ""u8),
            TestFrames.Masked(0x0, "two-b"u8),
            TestFrames.Masked(0x2, new byte[70_000]),
            TestFrames.Masked(0x1, "four, unfinished"u8, fin: false));

        var (_, _) = await PumpHarness.RunAsync(input, PumpHarness.FromClient, PumpHarness.Random(4, 3000), events, ct);

        Assert.Equal(3, events.Flushes[^1]);
        Assert.Equal(events.Flushes.Order(), events.Flushes);
    }

    [Fact]
    public async Task RunAsync_EachWholeMessage_ReportsItsEndOffsetInTheOutboundStream()
    {
        var ct = TestContext.Current.CancellationToken;
        RelayPump? pump = null;
        var queued = false;
        var events = new RecordingEvents { AfterFlush = _ => queued = queued || pump!.Outbox.TryEnqueue(WsOpcode.Pong, "between"u8) };
        var input = TestFrames.Concat(
            TestFrames.Masked(0x1, "one"u8),
            TestFrames.Masked(0x2, new byte[300], fin: false),
            TestFrames.Masked(0x9, ""u8),
            TestFrames.Masked(0x0, new byte[70_000]),
            TestFrames.Masked(0x1, ""u8));
        var output = new MemoryStream();
        pump = new RelayPump(new ChunkedPipeReader(input, PumpHarness.Random(77, 5000)), PipeWriter.Create(output), PumpHarness.FromClient, events);

        await pump.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        var expected = new List<(long, long)>();
        long offset = 0;
        foreach (var frame in TestFrames.Decode(output.ToArray()))
        {
            var length = frame.Payload.Length;
            offset += 2 + (length > 65535 ? 8 : length > 125 ? 2 : 0) + 4 + length;
            if (frame.Fin && frame.Opcode < 0x8)
            {
                expected.Add((expected.Count + 1, offset));
            }
        }

        Assert.True(queued);
        Assert.Equal(3, expected.Count);
        Assert.Equal(expected, events.MessagesWritten);
    }

    [Fact]
    public async Task RunAsync_ManyFramesInOneRead_FlushesOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new RecordingEvents();
        var frames = Enumerable.Range(0, 50).Select(i => i % 7 == 0 ? TestFrames.Masked(0x9, new byte[i]) : TestFrames.Masked(0x2, new byte[i * 10])).ToArray();

        var (outcome, output) = await PumpHarness.RunAsync(TestFrames.Concat(frames), PumpHarness.FromClient, PumpHarness.Whole, events, ct);

        Assert.Equal(RelayEnd.InboundEnded, outcome.End);

        Assert.Equal([42L], events.Flushes); // one batch, one flush, all 42 data messages in it
        Assert.Equal(42, TestFrames.Decode(output).Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Outbox_PongQueuedWhileThePumpIsIdle_IsWrittenAtOnce(bool maskOutbound)
    {
        var ct = TestContext.Current.CancellationToken;
        var inbound = new Pipe();
        var outbound = new Pipe();
        var options = maskOutbound ? PumpHarness.FromClient : PumpHarness.FromBackend;
        var pump = new RelayPump(inbound.Reader, outbound.Writer, options, new RecordingEvents());
        var running = pump.RunAsync(ct).AsTask();

        Assert.True(pump.Outbox.TryEnqueue(WsOpcode.Pong, "still here"u8));

        var frame = Assert.Single(await ReadFramesAsync(outbound.Reader, 1, ct));
        Assert.Equal((0xA, "still here", maskOutbound), (frame.Opcode, Encoding.UTF8.GetString(frame.Payload), frame.MaskKey is not null));
        Assert.False(running.IsCompleted);
        await inbound.Writer.CompleteAsync();
        Assert.Equal(RelayEnd.InboundEnded, (await running.WaitAsync(TimeSpan.FromSeconds(10), ct)).End);
    }

    [Fact]
    public async Task Outbox_Close_IsWrittenLastAndEndsThePump()
    {
        var ct = TestContext.Current.CancellationToken;
        var inbound = new Pipe();
        var outbound = new Pipe();
        var pump = new RelayPump(inbound.Reader, outbound.Writer, PumpHarness.FromBackend, new RecordingEvents());
        var running = pump.RunAsync(ct).AsTask();

        Assert.True(pump.Outbox.TryEnqueue(WsOpcode.Ping, "p"u8));
        Assert.True(pump.Outbox.TryEnqueueClose(WebSocketCloseStatus.ProtocolError, "bad frame"));
        Assert.False(pump.Outbox.TryEnqueue(WsOpcode.Pong, "too late"u8));

        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(RelayEnd.CloseSent, outcome.End);
        var read = await outbound.Reader.ReadAsync(ct);
        var frames = TestFrames.Decode(read.Buffer.ToArray());
        Assert.Equal([0x9, 0x8], frames.Select(frame => frame.Opcode));
        Assert.True(ClosePayload.TryRead(frames[1].Payload, out var status, out var reason, out _));
        Assert.Equal((WebSocketCloseStatus.ProtocolError, "bad frame"), (status, Encoding.UTF8.GetString(reason)));
    }

    [Fact]
    public async Task Outbox_PongQueuedInsideAFrame_WaitsForTheFrameToEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        RelayPump? pump = null;
        var queued = false;
        var events = new RecordingEvents
        {
            AfterFlush = _ => queued = queued || pump!.Outbox.TryEnqueue(WsOpcode.Pong, "p"u8), // once, after the first 100 bytes
        };
        var input = TestFrames.Build(0x2, new byte[1000]);
        var output = new MemoryStream();
        pump = new RelayPump(new ChunkedPipeReader(input, () => 100), PipeWriter.Create(output), PumpHarness.FromBackend, events);

        await pump.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        var frames = TestFrames.Decode(output.ToArray());
        Assert.Equal([0x2, 0xA], frames.Select(frame => frame.Opcode));
        Assert.Equal(1000, frames[0].Payload.Length);
    }

    [Fact]
    public async Task PongReplies_AnswersPingsThroughTheOppositeOutbox()
    {
        var ct = TestContext.Current.CancellationToken;
        var toClient = new Pipe();
        var backToClient = new RelayPump(new Pipe().Reader, toClient.Writer, PumpHarness.FromBackend, new RecordingEvents());
        var replies = new PongReplies(backToClient.Outbox);
        var input = TestFrames.Concat(TestFrames.Masked(0x9, "a"u8), TestFrames.Masked(0xA, ""u8), TestFrames.Masked(0x1, "m"u8));

        await PumpHarness.RunAsync(input, PumpHarness.FromClient, PumpHarness.Whole, replies, ct);

        Assert.Equal((1, 1), (replies.PongsReceived, replies.MessagesFlushed));
        Assert.True(backToClient.Outbox.HasPending);
        var writer = new ArrayBufferWriter<byte>();
        backToClient.Outbox.DrainTo(writer, masked: false, out _);
        var pong = Assert.Single(TestFrames.Decode(writer.WrittenSpan));
        Assert.Equal((0xA, "a", null), (pong.Opcode, Encoding.UTF8.GetString(pong.Payload), pong.MaskKey));
    }

    private static async Task<List<DecodedFrame>> ReadFramesAsync(PipeReader reader, int count, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var read = await reader.ReadAsync(timeout.Token);
            var frames = TestFrames.DecodePrefix(read.Buffer.ToArray(), out _);
            if (frames.Count >= count)
            {
                reader.AdvanceTo(read.Buffer.End);
                return frames;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}

using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>Everything valid before an error is forwarded and flushed; the error is found on the byte that shows it.</summary>
public sealed class RelayPumpStrictnessTests
{
    private static readonly byte[] Ok = TestFrames.Masked(0x1, "ok"u8);

    public static TheoryData<string, byte[], int, int, string> Violations()
    {
        var data = new TheoryData<string, byte[], int, int, string>();
        foreach (var chunking in new[] { "whole", "bytewise", "random" })
        {
            // name, bytes after a valid "ok" message, expected close code, frames forwarded before the error, chunking
            data.Add("reserved opcode 5", TestFrames.Masked(0x5, "x"u8), 1002, 1, chunking);
            data.Add("reserved opcode 0xB", TestFrames.Masked(0xB, ""u8), 1002, 1, chunking);
            data.Add("RSV2 set", TestFrames.Masked(0x1, "x"u8, rsv: 2), 1002, 1, chunking);
            data.Add("unmasked client frame", TestFrames.Build(0x1, "x"u8), 1002, 1, chunking);
            data.Add("continuation without a message", TestFrames.Masked(0x0, "x"u8), 1002, 1, chunking);
            data.Add("text inside a fragmented message", TestFrames.Concat(TestFrames.Masked(0x1, "a"u8, fin: false), TestFrames.Masked(0x1, "b"u8)), 1002, 2, chunking);
            data.Add("fragmented ping", TestFrames.Masked(0x9, "x"u8, fin: false), 1002, 1, chunking);
            data.Add("ping of 126 bytes", TestFrames.Masked(0x9, new byte[126]), 1002, 1, chunking);
            data.Add("length not minimal", TestFrames.Build(0x2, new byte[10], maskKey: TestFrames.SampleKey, lengthBytes: 2), 1002, 1, chunking);
            data.Add("close of one byte", TestFrames.Masked(0x8, [0x03]), 1002, 1, chunking);
            data.Add("close code 1005", TestFrames.Close(1005, ""u8, TestFrames.SampleKey), 1002, 1, chunking);
            data.Add("close code 2999", TestFrames.Close(2999, ""u8, TestFrames.SampleKey), 1002, 1, chunking);
            data.Add("close reason not UTF-8", TestFrames.Close(1000, [0xCE, 0xBA, 0xED, 0xA0, 0x80], TestFrames.SampleKey), 1007, 1, chunking);
            data.Add("invalid UTF-8", TestFrames.Masked(0x1, Convert.FromHexString("cebae1bdb9cf83cebcceb5eda080656469746564")), 1007, 1, chunking);
            data.Add("invalid UTF-8 in the second fragment", TestFrames.Concat(TestFrames.Masked(0x1, [0xCE], fin: false), TestFrames.Masked(0x0, [0xFF])), 1007, 2, chunking);
            data.Add("message ends inside a code point", TestFrames.Masked(0x1, [0x61, 0xE2, 0x82]), 1007, 1, chunking);
            data.Add("empty final fragment ends inside a code point", TestFrames.Concat(TestFrames.Masked(0x1, [0xE2], fin: false), TestFrames.Masked(0x0, []), TestFrames.Masked(0x9, ""u8)), 1007, 2, chunking);
            data.Add("frame over the size limit", TestFrames.Masked(0x2, new byte[1001]), 1009, 1, chunking);
            data.Add("fragments over the size limit", TestFrames.Concat(TestFrames.Masked(0x2, new byte[600], fin: false), TestFrames.Masked(0x0, new byte[401])), 1009, 2, chunking);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task RunAsync_ValidMessageThenViolation_ForwardsAndFlushesTheValidPartThenFails(string name, byte[] violation, int closeCode, int framesForwarded, string chunking)
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new RecordingEvents();
        var trailingPing = TestFrames.Masked(0x9, "never answered"u8); // Autobahn 3.2: nothing after the error is processed
        var options = PumpHarness.FromClient with { MaxMessageBytes = 1000 };

        var (outcome, output) = await PumpHarness.RunAsync(TestFrames.Concat(Ok, violation, trailingPing), options, PumpHarness.Named(chunking), events, ct);

        Assert.True(RelayEnd.ProtocolError == outcome.End, name);
        Assert.Equal((WebSocketCloseStatus)closeCode, outcome.CloseStatus);
        Assert.False(string.IsNullOrEmpty(outcome.Reason));
        var frames = TestFrames.DecodePrefix(output, out var tail);
        Assert.Equal(framesForwarded, frames.Count);
        // Invalid text that arrives in pieces may have had its valid start streamed on; otherwise the leg is at a frame boundary.
        Assert.Equal(outcome.OutboundMidFrame, tail > 0);
        Assert.True(!outcome.OutboundMidFrame || (closeCode == 1007 && chunking != "whole"), name);
        Assert.Equal("ok", Encoding.UTF8.GetString(frames[0].Payload));
        Assert.Empty(events.Pings);
    }

    [Fact]
    public async Task RunAsync_InvalidByteOpensALargeFrameOfWhichTenBytesArrived_FailsWithoutWaitingForTheRest()
    {
        var ct = TestContext.Current.CancellationToken;
        var payload = new byte[65536];
        payload.AsSpan().Fill((byte)'a');
        payload[0] = 0xFF;
        var frame = TestFrames.Masked(0x1, payload);
        var inbound = new Pipe();
        var output = new MemoryStream();
        var pump = new RelayPump(inbound.Reader, PipeWriter.Create(output), PumpHarness.FromClient, new RecordingEvents());
        var running = pump.RunAsync(ct).AsTask();

        await inbound.Writer.WriteAsync(Ok.AsMemory(), ct);
        await inbound.Writer.WriteAsync(frame.AsMemory(0, 8 + 10), ct); // 14-bit length header + key, then 10 payload bytes

        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(RelayEnd.ProtocolError, outcome.End);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, outcome.CloseStatus);
        Assert.False(outcome.OutboundMidFrame); // none of the bad frame went out: a close can still follow on that leg
        Assert.Equal("ok", Encoding.UTF8.GetString(Assert.Single(TestFrames.Decode(output.ToArray())).Payload));
    }

    [Fact]
    public async Task RunAsync_InvalidCodePointInALaterFragment_FailsWhenItsSecondByteArrives()
    {
        // Autobahn 6.4.2's shape: a valid first fragment, a pause, then a fragment whose bytes make the text invalid.
        var ct = TestContext.Current.CancellationToken;
        var firstFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbound = new Pipe();
        var output = new MemoryStream();
        var pump = new RelayPump(inbound.Reader, PipeWriter.Create(output), PumpHarness.FromClient, new RecordingEvents { AfterFlush = _ => firstFlush.TrySetResult() });
        var running = pump.RunAsync(ct).AsTask();

        await inbound.Writer.WriteAsync(TestFrames.Masked(0x1, Convert.FromHexString("cebae1bdb9cf83cebcceb5"), fin: false), ct);
        await firstFlush.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.False(running.IsCompleted);
        var second = TestFrames.Masked(0x0, Convert.FromHexString("f4908080"), fin: false);
        await inbound.Writer.WriteAsync(second.AsMemory(0, 6 + 2), ct); // only up to the byte that makes it invalid

        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, outcome.CloseStatus);
        Assert.Single(TestFrames.Decode(output.ToArray())); // the valid first fragment was forwarded
    }

    [Fact]
    public async Task RunAsync_InvalidBytesInALaterPieceOfOneFrame_FailsAtOnceAndReportsTheOutboundMidFrame()
    {
        // Autobahn 6.4.3's shape: one frame, sent in chops; the second chop makes it invalid.
        var ct = TestContext.Current.CancellationToken;
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbound = new Pipe();
        var output = new MemoryStream();
        var pump = new RelayPump(inbound.Reader, PipeWriter.Create(output), PumpHarness.FromClient, new RecordingEvents { AfterFlush = _ => flushed.TrySetResult() });
        var running = pump.RunAsync(ct).AsTask();
        var frame = TestFrames.Masked(0x1, Convert.FromHexString("cebae1bdb9cf83cebcceb5f4908080656469746564"));

        await inbound.Writer.WriteAsync(frame.AsMemory(0, 6 + 11), ct);
        await flushed.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(6 + 11, output.Length); // the valid start was streamed on, not held back
        await inbound.Writer.WriteAsync(frame.AsMemory(6 + 11, 2), ct);

        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, outcome.CloseStatus);
        Assert.True(outcome.OutboundMidFrame);
        Assert.Equal(6 + 11, output.Length);
    }

    [Fact]
    public async Task RunAsync_UnmaskedFrameFromBackendRules_PassesAndMaskedOneFails()
    {
        var ct = TestContext.Current.CancellationToken;
        var (passed, output) = await PumpHarness.RunAsync(TestFrames.Build(0x1, "fine"u8), PumpHarness.FromBackend, PumpHarness.Whole, new RecordingEvents(), ct);
        var (failed, _) = await PumpHarness.RunAsync(TestFrames.Masked(0x1, "fine"u8), PumpHarness.FromBackend, PumpHarness.Whole, new RecordingEvents(), ct);

        Assert.Equal(RelayEnd.InboundEnded, passed.End);
        Assert.Equal(TestFrames.Build(0x1, "fine"u8), output);
        Assert.Equal((RelayEnd.ProtocolError, WebSocketCloseStatus.ProtocolError), (failed.End, failed.CloseStatus));
    }

    [Fact]
    public async Task RunAsync_CompressedMessageOnADeflateLeg_IsForwardedWithItsRsv1AndNotUtf8Checked()
    {
        var ct = TestContext.Current.CancellationToken;
        var deflated = new byte[] { 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00 }; // not UTF-8, as compressed text is not
        var input = TestFrames.Concat(TestFrames.Build(0x1, deflated, fin: false, rsv: 4), TestFrames.Build(0x0, [0xFF]));

        var (outcome, output) = await PumpHarness.RunAsync(input, RelayPumpOptions.BackendToClient(1 << 20, perMessageDeflate: true), PumpHarness.Bytewise, new RecordingEvents(), ct);

        Assert.Equal(RelayEnd.InboundEnded, outcome.End);
        Assert.Equal(input, output);
    }

    [Theory]
    [InlineData("mid-frame", 5, true)]
    [InlineData("mid-header", 1, true)]
    [InlineData("between frames", 0, false)]
    public async Task RunAsync_InboundEnds_ReportsWhetherAFrameWasCut(string where, int cut, bool truncated)
    {
        var ct = TestContext.Current.CancellationToken;
        var input = TestFrames.Concat(Ok, TestFrames.Masked(0x2, new byte[20]));

        var (outcome, output) = await PumpHarness.RunAsync(input[..(input.Length - cut)], PumpHarness.FromClient, PumpHarness.Random(cut, 9), new RecordingEvents(), ct);

        Assert.True((truncated ? RelayEnd.InboundTruncated : RelayEnd.InboundEnded) == outcome.End, where);
        Assert.Equal("ok", Encoding.UTF8.GetString(TestFrames.Decode(output.AsSpan(0, Ok.Length))[0].Payload));
    }

    [Fact]
    public async Task RunAsync_InboundEndsInsideAFragmentedMessage_IsTruncated()
    {
        var ct = TestContext.Current.CancellationToken;
        var (outcome, _) = await PumpHarness.RunAsync(TestFrames.Masked(0x1, "part"u8, fin: false), PumpHarness.FromClient, PumpHarness.Whole, new RecordingEvents(), ct);

        Assert.Equal(RelayEnd.InboundTruncated, outcome.End);
    }

    [Fact]
    public async Task RunAsync_OutboundReaderGone_EndsWithOutboundEnded()
    {
        var ct = TestContext.Current.CancellationToken;
        var outbound = new Pipe();
        await outbound.Reader.CompleteAsync();
        var pump = new RelayPump(new ChunkedPipeReader(TestFrames.Concat(Ok, Ok), PumpHarness.Whole), outbound.Writer, PumpHarness.FromClient, new RecordingEvents());

        var outcome = await pump.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(RelayEnd.OutboundEnded, outcome.End);
        Assert.Equal(0, pump.MessagesFlushed);
    }
}

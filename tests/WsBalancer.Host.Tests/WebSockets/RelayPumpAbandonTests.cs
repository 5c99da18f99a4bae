using System.IO.Pipelines;
using System.Text;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>
/// An abandon that comes while a batch is being parsed (a backend's close read by the other pump meanwhile): a
/// client → backend pump, which holds messages for a successor, sends none of that batch to the leg being given up.
/// </summary>
public sealed class RelayPumpAbandonTests
{
    private static readonly byte[] ThreeMessages = TestFrames.Concat(
        TestFrames.Masked(0x1, "one"u8),
        TestFrames.Masked(0x2, "two"u8),
        TestFrames.Masked(0x1, "three"u8));

    [Fact]
    public async Task AbandonDuringTheBatch_Holding_FlushesNothingAndTheSuccessorSendsItAll()
    {
        var ct = TestContext.Current.CancellationToken;
        var reader = new ChunkedPipeReader(ThreeMessages, PumpHarness.Whole);
        var output = new MemoryStream();
        RelayPump? pump = null;
        var events = new RecordingEvents { AfterMessageWritten = written => { if (written == 1) { pump!.Abandon(); } } };
        pump = new RelayPump(reader, PipeWriter.Create(output), PumpHarness.FromClient with { HoldUntilFlushed = true }, events);

        var outcome = await pump.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(RelayEnd.Abandoned, outcome.End);
        Assert.True(outcome.OutboundMidFrame, "the writer holds frames that must never go out: the leg must be dropped, not closed");
        Assert.Empty(output.ToArray());
        Assert.Equal(0, pump.MessagesDelivered);

        var successorOutput = new MemoryStream();
        var successor = new RelayPump(reader, PipeWriter.Create(successorOutput), PumpHarness.FromClient with { HoldUntilFlushed = true }, new RecordingEvents());
        Assert.Equal(RelayEnd.InboundEnded, (await successor.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct)).End);
        Assert.Equal(["one", "two", "three"], TestFrames.Decode(successorOutput.ToArray()).Select(frame => Encoding.UTF8.GetString(frame.Payload)));
    }

    [Fact]
    public async Task AbandonDuringTheBatch_NotHolding_StillDeliversTheWholeMessagesItParsed()
    {
        // The backend → client pump: no successor reads its backend again, so what it parsed goes to the client.
        var ct = TestContext.Current.CancellationToken;
        var input = TestFrames.Concat(TestFrames.Build(0x1, "one"u8), TestFrames.Build(0x2, "two"u8));
        RelayPump? pump = null;
        var events = new RecordingEvents { AfterMessageWritten = written => { if (written == 1) { pump!.Abandon(); } } };
        var output = new MemoryStream();
        var inbound = new Pipe(); // left open: the pump ends by the abandon, at its next read
        await inbound.Writer.WriteAsync(input, ct);
        pump = new RelayPump(inbound.Reader, PipeWriter.Create(output), PumpHarness.FromBackend, events);

        var outcome = await pump.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(RelayEnd.Abandoned, outcome.End);
        Assert.False(outcome.OutboundMidFrame);
        Assert.Equal(["one", "two"], TestFrames.Decode(output.ToArray()).Select(frame => Encoding.UTF8.GetString(frame.Payload)));
    }

    [Fact]
    public async Task AbandonInsideAFrameOnTheWire_Holding_FinishesThatFrameOnlyThenEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        var large = new Bogus.Randomizer(7).Bytes(3000);
        var frame = TestFrames.Masked(0x2, large);
        var inbound = new Pipe();
        var output = new MemoryStream();
        var firstFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pump = new RelayPump(inbound.Reader, PipeWriter.Create(output), PumpHarness.FromClient with { HoldUntilFlushed = true }, new RecordingEvents { AfterFlush = _ => firstFlush.TrySetResult() });
        var running = pump.RunAsync(ct).AsTask();
        await inbound.Writer.WriteAsync(frame.AsMemory(0, 1000), ct);
        await firstFlush.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        pump.Abandon(); // the backend's close: part of the frame is on the wire
        Assert.False(running.IsCompleted);
        await inbound.Writer.WriteAsync(TestFrames.Concat(frame[1000..], TestFrames.Masked(0x1, "for the successor"u8)), ct);
        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(RelayEnd.Abandoned, outcome.End);
        Assert.False(outcome.OutboundMidFrame, "the leg must be left between frames, able to take a close");
        Assert.Equal(large, Assert.Single(TestFrames.Decode(output.ToArray())).Payload);
        var successorOutput = new MemoryStream();
        var successor = new RelayPump(inbound.Reader, PipeWriter.Create(successorOutput), PumpHarness.FromClient with { HoldUntilFlushed = true }, new RecordingEvents());
        var successorRun = successor.RunAsync(ct).AsTask();
        await inbound.Writer.CompleteAsync();
        Assert.Equal(RelayEnd.InboundEnded, (await successorRun.WaitAsync(TimeSpan.FromSeconds(10), ct)).End);
        Assert.Equal("for the successor", Encoding.UTF8.GetString(Assert.Single(TestFrames.Decode(successorOutput.ToArray())).Payload));
    }

    [Fact]
    public async Task AbandonNowInsideAFrame_EndsWithoutWaitingForItsRest()
    {
        var ct = TestContext.Current.CancellationToken;
        var frame = TestFrames.Masked(0x2, new Bogus.Randomizer(8).Bytes(3000));
        var inbound = new Pipe();
        var firstFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pump = new RelayPump(inbound.Reader, PipeWriter.Create(new MemoryStream()), PumpHarness.FromClient with { HoldUntilFlushed = true }, new RecordingEvents { AfterFlush = _ => firstFlush.TrySetResult() });
        var running = pump.RunAsync(ct).AsTask();
        await inbound.Writer.WriteAsync(frame.AsMemory(0, 1000), ct);
        await firstFlush.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        pump.Abandon();
        pump.AbandonNow(); // the rest never comes: the owner's patience ran out

        var outcome = await running.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(RelayEnd.Abandoned, outcome.End);
        Assert.True(outcome.OutboundMidFrame);
    }
}

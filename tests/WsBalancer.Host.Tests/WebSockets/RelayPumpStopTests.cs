using System.IO.Pipelines;
using System.Text;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>A stop lands on a message boundary and leaves the rest of the inbound stream to a successor pump.</summary>
public sealed class RelayPumpStopTests
{
    [Fact]
    public async Task RequestStop_WhileIdle_EndsThePumpAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var inbound = new Pipe();
        var pump = new RelayPump(inbound.Reader, new Pipe().Writer, PumpHarness.FromClient, new RecordingEvents());
        var running = pump.RunAsync(ct).AsTask();

        pump.RequestStop();

        Assert.Equal(new RelayOutcome(RelayEnd.Stopped, null, null, false), await running.WaitAsync(TimeSpan.FromSeconds(10), ct));
    }

    [Fact]
    public async Task RequestStop_InsideAFragmentedMessage_FinishesItAndASuccessorGetsTheRest()
    {
        var ct = TestContext.Current.CancellationToken;
        var input = TestFrames.Concat(
            TestFrames.Masked(0x1, "first-"u8, fin: false),
            TestFrames.Masked(0x9, "ping to the successor's leg"u8),
            TestFrames.Masked(0x0, "half"u8),
            TestFrames.Masked(0x9, "after the message"u8),
            TestFrames.Masked(0x2, "second"u8));
        var reader = new ChunkedPipeReader(input, () => 9); // the first flush comes inside the first frame
        RelayPump? first = null;
        var firstEvents = new RecordingEvents { AfterFlush = _ => first!.RequestStop() };
        var firstOutput = new MemoryStream();
        first = new RelayPump(reader, PipeWriter.Create(firstOutput), PumpHarness.FromClient, firstEvents);

        var stopped = await first.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(RelayEnd.Stopped, stopped.End);
        Assert.Equal(["first-", "half"], TestFrames.Decode(firstOutput.ToArray()).Select(frame => Encoding.UTF8.GetString(frame.Payload)));
        Assert.Equal(1, first.MessagesFlushed);

        var successorEvents = new RecordingEvents();
        var successorOutput = new MemoryStream();
        var successor = new RelayPump(reader, PipeWriter.Create(successorOutput), PumpHarness.FromClient, successorEvents);
        var ended = await successor.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(RelayEnd.InboundEnded, ended.End);
        Assert.Equal("second", Encoding.UTF8.GetString(Assert.Single(TestFrames.Decode(successorOutput.ToArray())).Payload));
        Assert.Equal(["ping to the successor's leg"], firstEvents.Pings.Select(Encoding.UTF8.GetString));
        Assert.Equal(["after the message"], successorEvents.Pings.Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public async Task RequestStop_OverARealPipe_LeavesUnreadFramesForTheSuccessor()
    {
        var ct = TestContext.Current.CancellationToken;
        var inbound = new Pipe();
        var firstOutput = new Pipe();
        var forwarded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new RelayPump(inbound.Reader, firstOutput.Writer, PumpHarness.FromClient, new RecordingEvents { AfterFlush = _ => forwarded.TrySetResult() });
        var running = first.RunAsync(ct).AsTask();
        await inbound.Writer.WriteAsync(TestFrames.Masked(0x1, "to the old backend"u8, fin: false), ct);
        await forwarded.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        first.RequestStop();
        Assert.False(running.IsCompleted); // a message is in progress: it goes to its end on the old leg
        await inbound.Writer.WriteAsync(TestFrames.Concat(TestFrames.Masked(0x0, "!"u8), TestFrames.Masked(0x1, "to the new backend"u8)), ct);
        Assert.Equal(RelayEnd.Stopped, (await running.WaitAsync(TimeSpan.FromSeconds(10), ct)).End);

        var secondOutput = new MemoryStream();
        var second = new RelayPump(inbound.Reader, PipeWriter.Create(secondOutput), PumpHarness.FromClient, new RecordingEvents());
        var secondRun = second.RunAsync(ct).AsTask();
        await inbound.Writer.CompleteAsync();

        Assert.Equal(RelayEnd.InboundEnded, (await secondRun.WaitAsync(TimeSpan.FromSeconds(10), ct)).End);
        Assert.Equal("to the new backend", Encoding.UTF8.GetString(Assert.Single(TestFrames.Decode(secondOutput.ToArray())).Payload));
        var read = await firstOutput.Reader.ReadAsync(ct);
        Assert.Equal(2, TestFrames.Decode(System.Buffers.BuffersExtensions.ToArray(read.Buffer)).Count);
    }
}

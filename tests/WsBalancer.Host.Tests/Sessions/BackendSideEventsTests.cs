using System.Buffers;
using System.IO.Pipelines;
using WsBalancer.Host.Sessions.Relay;
using WsBalancer.Host.Tests.WebSockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.Sessions;

/// <summary>
/// A backend's close stops the pump that writes to it, whichever comes first: nothing more of the client's goes to a
/// backend that is closing, so the client's waiting messages stay for the successor.
/// </summary>
public sealed class BackendSideEventsTests
{
    [Fact]
    public async Task Close_BeforeTheWriterStarts_TheWriterIsAbandonedAndForwardsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new BackendSideEvents();
        events.OnPeerClose(); // the backend pump read the close before the client pump was set up
        var inbound = new Pipe();
        await inbound.Writer.WriteAsync(TestFrames.Masked(0x1, "waiting for a backend"u8), ct);
        var outbound = new Pipe();
        var pump = new RelayPump(inbound.Reader, outbound.Writer, PumpHarness.FromClient, new RecordingEvents());

        events.Writer = pump;
        var outcome = await pump.RunAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(RelayEnd.Abandoned, outcome.End);
        Assert.False(outbound.Reader.TryRead(out _), "a frame went to the closing backend");
    }

    [Fact]
    public async Task Close_WhileTheWriterWaits_AbandonsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new BackendSideEvents();
        var pump = new RelayPump(new Pipe().Reader, new Pipe().Writer, PumpHarness.FromClient, new RecordingEvents());
        events.Writer = pump;
        var running = pump.RunAsync(ct).AsTask();

        events.OnPeerClose();

        Assert.Equal(RelayEnd.Abandoned, (await running.WaitAsync(TimeSpan.FromSeconds(10), ct)).End);
    }

    [Fact]
    public async Task Ping_BeforeTheWriterStarts_AnsweredByItsFirstRead()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = new BackendSideEvents();
        events.OnPing("are you there"u8); // the backend pump read a ping before the client pump was set up
        var outbound = new Pipe();
        var pump = new RelayPump(new Pipe().Reader, outbound.Writer, PumpHarness.FromClient, new RecordingEvents());

        events.Writer = pump;
        var running = pump.RunAsync(ct).AsTask();
        var read = await outbound.Reader.ReadAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);

        var frame = read.Buffer.ToArray();
        Assert.Equal(0x80 | 0xA, frame[0]); // FIN + pong
        Assert.Equal(0x80 | "are you there"u8.Length, frame[1]); // masked, towards the backend
        pump.Abandon();
        await running.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}

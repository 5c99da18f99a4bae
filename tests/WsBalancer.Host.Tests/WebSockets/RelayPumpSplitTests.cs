using System.Net.WebSockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>
/// The same recorded stream delivered whole, one byte at a time and in random chunks must give the same result:
/// backend frames byte for byte, client frames re-keyed with their content, fragmentation and order unchanged.
/// </summary>
public sealed class RelayPumpSplitTests
{
    [Theory]
    [InlineData("whole", 200 * 1024)]
    [InlineData("random", 200 * 1024)]
    [InlineData("bytewise", 3000)]
    public async Task RunAsync_ClientStreamInAnyChunks_ForwardsTheSameFramesReKeyed(string chunking, int maxBytes)
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = MessagePlan.Generate(21, 20, maxBytes, withPings: true);
        var recorded = new MemoryStream();
        using (var client = WebSocket.CreateFromStream(new DuplexStream(Stream.Null, recorded), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero }))
        {
            await MessagePlan.SendAsync(client, plan, (ping, _) => { recorded.Write(TestFrames.Masked(0x9, ping)); return default; }, ct);
        }

        var input = recorded.ToArray();
        var events = new RecordingEvents();

        var (outcome, output) = await PumpHarness.RunAsync(input, PumpHarness.FromClient, PumpHarness.Named(chunking), events, ct);

        Assert.Equal(RelayEnd.InboundEnded, outcome.End);
        var sent = TestFrames.Decode(input);
        var forwarded = TestFrames.Decode(output);
        var dataFrames = sent.Where(frame => frame.Opcode < 0x8).ToList();
        Assert.Equal(dataFrames.Select(frame => frame.Describe()), forwarded.Select(frame => frame.Describe()));
        Assert.All(forwarded, frame => Assert.NotNull(frame.MaskKey));
        var rekeyed = forwarded.Zip(dataFrames).Count(pair => !pair.First.MaskKey!.SequenceEqual(pair.Second.MaskKey!));
        Assert.True(rekeyed >= forwarded.Count - 1, $"{forwarded.Count - rekeyed} frames kept the client's key");
        Assert.Equal(sent.Where(frame => frame.Opcode == 0x9).Select(frame => Convert.ToHexString(frame.Payload)), events.Pings.Select(Convert.ToHexString));

        // What the pump wrote is what a server-role WebSocket reads as the plan.
        using var server = WebSocket.CreateFromStream(new DuplexStream(new MemoryStream(output), Stream.Null), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        await MessagePlan.ReceiveAndCompareAsync(server, plan, ct);
    }

    [Theory]
    [InlineData("whole", 200 * 1024)]
    [InlineData("random", 200 * 1024)]
    [InlineData("bytewise", 3000)]
    public async Task RunAsync_BackendStreamInAnyChunks_ForwardsItByteForByteWithoutThePings(string chunking, int maxBytes)
    {
        var ct = TestContext.Current.CancellationToken;
        var plan = MessagePlan.Generate(22, 20, maxBytes, withPings: true);
        var recorded = new MemoryStream();
        var withoutPings = new MemoryStream();
        using (var backend = WebSocket.CreateFromStream(new DuplexStream(Stream.Null, new TeeStream(recorded, withoutPings)), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero }))
        {
            await MessagePlan.SendAsync(backend, plan, (ping, _) => { recorded.Write(TestFrames.Build(0x9, ping)); return default; }, ct);
        }

        var events = new RecordingEvents();

        var (outcome, output) = await PumpHarness.RunAsync(recorded.ToArray(), PumpHarness.FromBackend, PumpHarness.Named(chunking), events, ct);

        Assert.Equal(RelayEnd.InboundEnded, outcome.End);
        Assert.True(withoutPings.ToArray().AsSpan().SequenceEqual(output), "the backend's frames were not forwarded byte for byte");
        Assert.Equal(MessagePlan.PingCount(plan), events.Pings.Count);
        Assert.Equal(plan.Count, events.Flushes[^1]);
    }

    /// <summary>Writes to two streams: the recording and the expected relay output (the socket's own frames, no injected pings).</summary>
    private sealed class TeeStream(Stream first, Stream second) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            first.Write(buffer, offset, count);
            second.Write(buffer, offset, count);
        }
    }
}

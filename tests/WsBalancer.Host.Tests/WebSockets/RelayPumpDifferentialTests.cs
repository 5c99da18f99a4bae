using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>
/// The runtime's own WebSockets on both ends of two pumps (client role → re-keying pump → server role, and back
/// through a verbatim pump): random message sequences must arrive identical and in order.
/// </summary>
public sealed class RelayPumpDifferentialTests
{
    private static readonly WebSocketCreationOptions ClientRole = new() { IsServer = false, KeepAliveInterval = TimeSpan.Zero };
    private static readonly WebSocketCreationOptions ServerRole = new() { IsServer = true, KeepAliveInterval = TimeSpan.Zero };

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task Relay_RandomMessagesBothWaysWithPings_ArriveIdenticalAndInOrderThenCloseCleanly(int seed)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var ct = timeout.Token;
        var clientToRelay = new Pipe();
        var relayToBackend = new Pipe();
        var backendToRelay = new Pipe();
        var relayToClient = new Pipe();
        using var client = WebSocket.CreateFromStream(new DuplexStream(relayToClient.Reader.AsStream(), clientToRelay.Writer.AsStream()), ClientRole);
        using var backend = WebSocket.CreateFromStream(new DuplexStream(relayToBackend.Reader.AsStream(), backendToRelay.Writer.AsStream()), ServerRole);
        var upstreamEvents = new RecordingEvents();
        var downstreamEvents = new RecordingEvents();
        var upstream = new RelayPump(clientToRelay.Reader, relayToBackend.Writer, RelayPumpOptions.ClientToBackend(1 << 20), upstreamEvents);
        var downstream = new RelayPump(backendToRelay.Reader, relayToClient.Writer, RelayPumpOptions.BackendToClient(1 << 20), downstreamEvents);
        upstreamEvents.Next = new PongReplies(downstream.Outbox); // the client's pings are answered on the leg back to it
        downstreamEvents.Next = new PongReplies(upstream.Outbox);
        var upstreamRun = upstream.RunAsync(ct).AsTask();
        var downstreamRun = downstream.RunAsync(ct).AsTask();
        var toBackend = MessagePlan.Generate(seed, 24, 200 * 1024, withPings: true);
        var toClient = MessagePlan.Generate(seed + 100, 24, 200 * 1024, withPings: true);

        await AllOrFirstFailureAsync(
            timeout,
            MessagePlan.SendAsync(client, toBackend, (ping, c) => WriteAsync(clientToRelay.Writer, TestFrames.Masked(0x9, ping), c), ct),
            MessagePlan.SendAsync(backend, toClient, (ping, c) => WriteAsync(backendToRelay.Writer, TestFrames.Build(0x9, ping), c), ct),
            MessagePlan.ReceiveAndCompareAsync(backend, toBackend, ct),
            MessagePlan.ReceiveAndCompareAsync(client, toClient, ct),
            upstreamRun,
            downstreamRun);

        Assert.Equal(MessagePlan.PingCount(toBackend), upstreamEvents.Pings.Count);
        Assert.Equal(MessagePlan.PingCount(toClient), downstreamEvents.Pings.Count);
        Assert.Equal(toBackend.Count, upstream.MessagesFlushed);
        Assert.Equal(toClient.Count, downstream.MessagesFlushed);

        // The close handshake, as a session would run it: each pump surfaces its peer's close, the session sends it on.
        var buffer = new byte[256];
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client done", ct);
        var fromClient = await upstreamRun.WaitAsync(ct);
        Assert.Equal(new RelayOutcome(RelayEnd.PeerClosed, WebSocketCloseStatus.NormalClosure, "client done", false), fromClient);
        FrameWriter.WriteClose(relayToBackend.Writer, fromClient.CloseStatus!.Value, fromClient.Reason, masked: true);
        await relayToBackend.Writer.FlushAsync(ct);
        Assert.Equal(WebSocketMessageType.Close, (await backend.ReceiveAsync(buffer, ct)).MessageType);
        Assert.Equal("client done", backend.CloseStatusDescription);
        await backend.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "backend done", ct);
        var fromBackend = await downstreamRun.WaitAsync(ct);
        Assert.Equal(new RelayOutcome(RelayEnd.PeerClosed, WebSocketCloseStatus.NormalClosure, "backend done", false), fromBackend);
        FrameWriter.WriteClose(relayToClient.Writer, fromBackend.CloseStatus!.Value, fromBackend.Reason, masked: false);
        await relayToClient.Writer.FlushAsync(ct);
        Assert.Equal(WebSocketMessageType.Close, (await client.ReceiveAsync(buffer, ct)).MessageType);
        Assert.Equal((WebSocketState.Closed, WebSocketState.Closed), (client.State, backend.State));
    }

    [Fact]
    public async Task Relay_ClientPing_IsAnsweredToTheClientWithItsPayload()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var ct = timeout.Token;
        var clientToRelay = new Pipe();
        var relayToClient = new Pipe();
        var backendToRelay = new Pipe();
        var downstream = new RelayPump(backendToRelay.Reader, relayToClient.Writer, RelayPumpOptions.BackendToClient(1 << 20), new RecordingEvents());
        var upstream = new RelayPump(clientToRelay.Reader, new Pipe().Writer, RelayPumpOptions.ClientToBackend(1 << 20), new PongReplies(downstream.Outbox));
        var runs = Task.WhenAll(upstream.RunAsync(ct).AsTask(), downstream.RunAsync(ct).AsTask());

        for (var i = 0; i < 10; i++) // Autobahn 2.10: every ping gets its own pong
        {
            await WriteAsync(clientToRelay.Writer, TestFrames.Masked(0x9, [(byte)i, 0xFF, 0x00]), ct);
        }

        var pongs = new List<DecodedFrame>();
        while (pongs.Count < 10)
        {
            var read = await relayToClient.Reader.ReadAsync(ct);
            var frames = TestFrames.DecodePrefix(read.Buffer.ToArray(), out var tail);
            pongs.AddRange(frames);
            relayToClient.Reader.AdvanceTo(read.Buffer.GetPosition(read.Buffer.Length - tail), read.Buffer.End);
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"F0:10:{i:X2}FF00"), pongs.Select(pong => pong.Describe()));
        Assert.All(pongs, pong => Assert.Null(pong.MaskKey));
        await clientToRelay.Writer.CompleteAsync();
        await backendToRelay.Writer.CompleteAsync();
        var outcomes = await runs.WaitAsync(ct);
        Assert.All(outcomes, outcome => Assert.Equal(RelayEnd.InboundEnded, outcome.End));
    }

    /// <summary>Waits for the exchange tasks; the first failure (or a pump ending early) cancels the rest, so a broken relay fails at once instead of at the timeout.</summary>
    private static async Task AllOrFirstFailureAsync(CancellationTokenSource cancel, Task exchangeA, Task exchangeB, Task exchangeC, Task exchangeD, Task<RelayOutcome> upstream, Task<RelayOutcome> downstream)
    {
        var pending = new List<Task> { exchangeA, exchangeB, exchangeC, exchangeD, upstream, downstream };
        while (pending.Count > 2 || !pending.Contains(upstream) || !pending.Contains(downstream))
        {
            var done = await Task.WhenAny(pending);
            if (done == upstream || done == downstream)
            {
                await cancel.CancelAsync();
                Assert.Fail($"a pump ended during the exchange: {(await (Task<RelayOutcome>)done).End}");
            }

            if (!done.IsCompletedSuccessfully)
            {
                await cancel.CancelAsync();
                await done; // rethrows the first failure
            }

            pending.Remove(done);
        }
    }

    private static async ValueTask WriteAsync(PipeWriter writer, byte[] frame, CancellationToken cancellationToken) =>
        await writer.WriteAsync(frame, cancellationToken);
}

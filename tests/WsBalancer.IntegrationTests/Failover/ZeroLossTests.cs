using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Failover;

/// <summary>
/// Numbered messages stream through the balancer while the serving backend is killed again and again. Every
/// number must come back at most once and in order; a number that never comes back must have reached a backend
/// after that backend started dying (it was in flight inside the dying backend, which no proxy can recover).
/// Nothing the balancer held may be lost.
/// </summary>
public sealed class ZeroLossTests
{
    private const int Rounds = 10;
    private const int MessagesPerRound = 150;

    // Both cores: the message path (the default) and the frame relay (server.frame-relay), whose client messages wait
    // on the client's pipe until the backend's socket took them.
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    public async Task RepeatedAbnormalCloses_NoLossNoDuplicateNoReorder(int backendCount, bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(backendCount, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct, server: s => s with { FrameRelay = frameRelay });
        var client = await balancer.ConnectAsync("/stream", ct);
        var echoes = new ConcurrentQueue<int>();
        var receiver = ReceiveNumbersAsync(client, echoes, ct);
        const int total = Rounds * MessagesPerRound;
        using var stop = Timeouts.Linked(ct);

        // The sender streams while the killer strikes mid-stream; the sender keeps at most a window of messages
        // that have not yet left the balancer, so the stream spans every kill without overflowing the queue.
        var sender = Task.Run(
            async () =>
            {
                for (var n = 0; n < total; n++)
                {
                    while (n - LeftTheBalancer(backends) > 200)
                    {
                        await Task.Delay(1, stop.Token);
                    }

                    await client.SendTextAsync(n.ToString(CultureInfo.InvariantCulture), stop.Token);
                }
            },
            stop.Token);
        for (var kill = 0; kill < Rounds; kill++)
        {
            var echoedBefore = echoes.Count;
            while (echoes.Count < echoedBefore + 50 && !sender.IsCompleted)
            {
                await Task.Delay(1, stop.Token); // strike only once the stream flows again
            }

            // Once the sender is done no echo shows the new leg is registered: wait for the backend to know it, or
            // the close finds no connection and the session never fails over.
            await backends.WaitForTotalConnectionsAsync(kill + 1, ct);
            await backends.CloseCurrentAsync(WebSocketCloseStatus.InternalServerError, "killed");
            await balancer.WaitForReconnectsAsync(kill + 1, ct);
        }

        await sender;
        await client.SendTextAsync("end", ct);
        await receiver.WaitAsync(Timeouts.Default, ct);

        var received = echoes.ToArray();
        Assert.True(received.Zip(received.Skip(1)).All(p => p.First < p.Second), "echoes must be strictly increasing: no duplicate, no reorder");
        var inFlightInDyingBackends = backends.All
            .SelectMany(b => b.Connections)
            .SelectMany(c => c.ReceivedWhileClosing)
            .Select(f => int.Parse(f.Text, CultureInfo.InvariantCulture))
            .ToHashSet();
        var missing = Enumerable.Range(0, total).Except(received).ToArray();
        Assert.All(missing, n => Assert.Contains(n, inFlightInDyingBackends));
        Assert.Equal(WebSocketState.Open, client.State);
        var session = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Single();
        Assert.Equal(frameRelay ? "relay" : "message", session.GetProperty("path").GetString());
        Assert.Equal(Rounds, session.GetProperty("reconnects").GetInt32());
        TestContext.Current.TestOutputHelper?.WriteLine($"{total} sent, {received.Length} echoed, {missing.Length} in flight inside dying backends");
    }

    /// <summary>Messages that reached some backend, echoed or not.</summary>
    private static int LeftTheBalancer(TestBackends backends) =>
        backends.All.SelectMany(b => b.Connections).Sum(c => c.Received.Count + c.ReceivedWhileClosing.Count);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RepeatedTcpDrops_NoDuplicateNoReorder_SessionContinues(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct, server: s => s with { FrameRelay = frameRelay });
        var client = await balancer.ConnectAsync("/stream", ct);
        var echoes = new ConcurrentQueue<int>();
        var receiver = ReceiveNumbersAsync(client, echoes, ct);

        var next = 0;
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < MessagesPerRound; i++)
            {
                await client.SendTextAsync((next++).ToString(CultureInfo.InvariantCulture), ct);
            }

            // The balancer can count a failover before the backend has registered the leg it accepted: abort
            // only once that leg is known, or the abort misses it and the session never fails over.
            await backends.WaitForTotalConnectionsAsync(round + 1, ct);
            backends.AbortCurrent();
            await balancer.WaitForReconnectsAsync(round + 1, ct);
        }

        // Sent after the last replacement leg is up: nothing of these may be missing.
        var tailStart = next;
        for (var i = 0; i < 50; i++)
        {
            await client.SendTextAsync((next++).ToString(CultureInfo.InvariantCulture), ct);
        }

        await client.SendTextAsync("end", ct);
        await receiver.WaitAsync(Timeouts.Default, ct);

        var received = echoes.ToArray();
        Assert.True(received.Zip(received.Skip(1)).All(p => p.First < p.Second), "echoes must be strictly increasing");
        Assert.Equal(Enumerable.Range(tailStart, 50), received.Where(n => n >= tailStart));
        Assert.Equal(WebSocketState.Open, client.State);
    }

    private static async Task ReceiveNumbersAsync(ClientWebSocket client, ConcurrentQueue<int> echoes, CancellationToken ct)
    {
        while (true)
        {
            var message = await client.ReceiveMessageAsync(ct);
            Assert.Equal(WebSocketMessageType.Text, message.Type);
            if (message.Text == "end")
            {
                return;
            }

            echoes.Enqueue(int.Parse(message.Text, CultureInfo.InvariantCulture));
        }
    }
}

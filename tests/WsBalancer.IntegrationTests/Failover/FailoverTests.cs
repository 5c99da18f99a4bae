using System.Net.WebSockets;
using Bogus;

namespace WsBalancer.IntegrationTests.Failover;

public sealed class FailoverTests
{
    // How long a re-dial hangs in the backend's handshake in the overflow tests, and how long they wait for the overflow:
    // the client must fill the queue meanwhile. Generous: in the whole suite's first run on a fresh clone (test projects
    // still building beside it) the balancer's reader once needed more than 10 s, then more than 20 s, for 21 messages.
    private static readonly TimeSpan RedialHang = TimeSpan.FromSeconds(90);

    private readonly Faker _faker = new();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task BackendClosesAbnormally_ClientStaysConnected(int backendCount)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(backendCount, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/a", ct);
        await client.AssertEchoAsync("first", ct);

        foreach (var code in new[] { WebSocketCloseStatus.EndpointUnavailable, WebSocketCloseStatus.InternalServerError, (WebSocketCloseStatus)1013 })
        {
            var before = backends.TotalConnections;
            await backends.CloseCurrentAsync(code, "going down");
            await backends.WaitForTotalConnectionsAsync(before + 1, ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        }

        Assert.Equal(WebSocketState.Open, client.State);
        var session = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Single();
        Assert.Equal(3, session.GetProperty("reconnects").GetInt32());
    }

    [Fact]
    public async Task BackendTcpDrops_ClientStaysAndReconnectHeaderIsSent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/drop?id=7", ct);
        await client.AssertEchoAsync("hello", ct);
        Assert.False(backends.All.Single(b => b.Connections.Count == 1).Connections[0].Headers.ContainsKey("X-Balancer-Reconnect"));

        backends.AbortCurrent();
        await backends.WaitForTotalConnectionsAsync(2, ct);
        await client.AssertEchoAsync("still here", ct);

        var replacement = backends.All.SelectMany(b => b.Connections).Last();
        Assert.Equal("1", replacement.Headers["X-Balancer-Reconnect"]);
        Assert.Equal("/drop?id=7", replacement.Target);
    }

    [Theory]
    [InlineData(1000, "bye")]
    [InlineData(1008, "policy")]
    [InlineData(4000, "custom application code")]
    public async Task BackendClosesNormally_ClientGetsSameCodeAndReason(int code, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("x", ct);

        await backend.CloseAllAsync((WebSocketCloseStatus)code, reason);
        var closed = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal((WebSocketCloseStatus)code, closed.CloseStatus);
        Assert.Equal(reason, closed.CloseReason);
        Assert.Single(backend.Connections);
    }

    [Fact]
    public async Task AbnormalCloseCodes_AreConfigurablePerBackend()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, backend: b => b with { AbnormalCloseCodes = [4001] });
        var client = await balancer.ConnectAsync("/", ct);

        await backend.CloseAllAsync((WebSocketCloseStatus)4001, "restart");
        await backend.WaitForConnectionsAsync(2, ct);
        await client.AssertEchoAsync("moved", ct);
        await backend.CloseAllAsync(WebSocketCloseStatus.InternalServerError, "now final");
        var closed = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketCloseStatus.InternalServerError, closed.CloseStatus);
        Assert.Equal("now final", closed.CloseReason);
    }

    [Fact]
    public async Task ClientCloses_BackendGetsSameCodeAndReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("x", ct);

        await client.CloseAsync((WebSocketCloseStatus)4002, "client done", ct);
        await backend.Connections[0].Ended.WaitAsync(Timeouts.Default, ct);

        Assert.Equal((WebSocketCloseStatus)4002, backend.Connections[0].CloseStatus);
        Assert.Equal("client done", backend.Connections[0].CloseStatusDescription);
        Assert.Equal((WebSocketCloseStatus)4002, client.CloseStatus);
        await balancer.WaitForSessionsAsync(0, ct);
    }

    [Fact]
    public async Task NoBackendReachable_ClientClosedWith1011()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("x", ct);

        backend.DeclineStatus = 503;
        await backend.CloseAllAsync(WebSocketCloseStatus.InternalServerError, "gone");
        var closed = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketCloseStatus.InternalServerError, closed.CloseStatus);
        Assert.Equal("no backend available", closed.CloseReason);
    }

    [Fact]
    public async Task MessagePath_PendingQueueOverflowsWhileRedialing_ClientClosedWith1013_OtherSessionUnharmed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        // The pending queue is the message path's: the frame relay back-pressures the client instead.
        // The re-dial must hang past any time the client needs to overflow the queue (see RedialHang): the balancer
        // waits for the backend's handshake longer than the backend holds it.
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { MaxPendingMessages = 20, FrameRelay = false },
            backend: b => b with { HandshakeTimeout = RedialHang * 2 });
        var victim = await balancer.ConnectAsync("/victim", ct);
        var bystander = await balancer.ConnectAsync("/bystander", ct);
        await victim.AssertEchoAsync("x", ct);
        await bystander.AssertEchoAsync("y", ct);

        backend.AcceptDelay = RedialHang; // the re-dial hangs in the handshake while the client keeps sending
        await backend.Connections.Single(c => c.Target == "/victim").CloseAsync(WebSocketCloseStatus.InternalServerError, "crash");
        var closed = await SendUntilClosedAsync(balancer, "/victim", victim, ct);
        backend.AcceptDelay = TimeSpan.Zero;

        Assert.Equal((WebSocketCloseStatus)1013, closed.CloseStatus);
        Assert.Contains("pending", closed.CloseReason);
        await bystander.AssertEchoAsync("still fine", ct);
    }

    [Fact]
    public async Task MessagePath_PendingBytesOverflowWhileRedialing_ClientClosedWith1013()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { MaxPendingBytes = 16 * 1024, FrameRelay = false },
            backend: b => b with { HandshakeTimeout = RedialHang * 2 });
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("x", ct);

        backend.AcceptDelay = RedialHang;
        await backend.CloseAllAsync(WebSocketCloseStatus.InternalServerError, "crash");
        var closed = await SendUntilClosedAsync(balancer, "/", client, ct, messageBytes: 4096);
        backend.AcceptDelay = TimeSpan.Zero;

        Assert.Equal((WebSocketCloseStatus)1013, closed.CloseStatus);
    }

    /// <summary>Keeps sending until the balancer closes the client; returns the close.</summary>
    private async Task<ClientMessage> SendUntilClosedAsync(TestBalancer balancer, string target, ClientWebSocket client, CancellationToken ct, int messageBytes = 16)
    {
        var session = balancer.Sessions.Sessions.Single(s => s.RequestTarget == target); // it has echoed: registered
        var receive = client.ReceiveMessageAsync(ct, RedialHang);
        using var timeout = Timeouts.Linked(ct, RedialHang);
        var sent = 0;
        try
        {
            for (var i = 0; i < 10_000 && !receive.IsCompleted; i++)
            {
                await client.SendBinaryAsync(_faker.Random.Bytes(messageBytes), timeout.Token);
                sent++;
            }
        }
        catch (WebSocketException)
        {
            // The balancer closed or dropped the socket under our sends: the close is what we want to see.
        }

        try
        {
            return await receive;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Seen once in a whole-suite run (never alone): say whether the balancer read what was sent, and where it went.
            throw new TimeoutException($"no close within {RedialHang.TotalSeconds} s: {sent} messages sent; the session read {session.MessagesReceived}, "
                + $"holds {session.PendingMessages} pending, reconnects {session.Reconnects}");
        }
    }
}

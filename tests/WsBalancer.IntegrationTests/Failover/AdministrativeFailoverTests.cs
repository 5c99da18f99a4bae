using System.Net;
using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Failover;

/// <summary>Make-before-break moves ordered by the admin API: the client never notices, and sees every reply once, in order.</summary>
public sealed class AdministrativeFailoverTests
{
    [Fact]
    public async Task SessionFailover_OldBackendLateRepliesArriveBeforeNewBackendReplies()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/move", ct);
        await client.AssertEchoAsync("before", ct);
        var old = backends.All.Single(b => b.Connections.Count == 1);
        var next = backends.All.Single(b => b != old);
        old.Connections[0].BeforeCloseReply = async connection =>
        {
            // A slow backend finishing its work after being asked to close: these replies must not be lost,
            // and must reach the client before anything the new backend answers meanwhile.
            await Task.Delay(300, ct);
            await connection.SendTextAsync("late-1", ct);
            await connection.SendTextAsync("late-2", ct);
        };
        var sessionId = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Single().GetProperty("id").GetString();

        var reply = await balancer.PostAsync($"/session/failover/{sessionId}", ct);
        await client.SendTextAsync("after", ct);

        Assert.Equal("success", reply.GetProperty("result").GetString());
        Assert.Equal("late-1", await client.ReceiveTextAsync(ct));
        Assert.Equal("late-2", await client.ReceiveTextAsync(ct));
        Assert.Equal("after", await client.ReceiveTextAsync(ct));
        Assert.Equal("after", Assert.Single(next.Connections).Received.Single().Text);
        Assert.Equal("1", next.Connections[0].Headers["X-Balancer-Reconnect"]);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, old.Connections[0].CloseStatus);
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task SessionFailover_NoOtherBackend_FailsAndSessionStaysOnOldBackend()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("only", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("x", ct);
        var sessionId = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Single().GetProperty("id").GetString();
        backend.DeclineStatus = 503;

        var reply = await balancer.PostAsync($"/session/failover/{sessionId}", ct);

        Assert.Equal("failed", reply.GetProperty("result").GetString());
        await client.AssertEchoAsync("still on the old leg", ct);
        Assert.Single(backend.Connections);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SessionFailover_ClientLeavesWhileTheMoveDials_RequestAnsweredSessionEnded(bool frameRelay)
    {
        // The session's end cancels the move's dial: its requester must still hear (a backend failover or a delete
        // waits for every one of its moves, and would hang for good).
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("slow", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { FrameRelay = frameRelay },
            backend: b => b with { HandshakeTimeout = TimeSpan.FromMinutes(2) });
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("x", ct);
        var sessionId = (await balancer.SingleSessionAsync(ct)).Id;
        backend.AcceptDelay = TimeSpan.FromMinutes(1); // the move's dial hangs in the backend's handshake

        var move = balancer.PostRawAsync($"/session/failover/{sessionId}", ct);
        await backend.WaitForHandshakesAsync(2, ct);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        var reply = await move.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(HttpStatusCode.BadGateway, reply.Status);
        Assert.Equal("session ended", reply.Reason);
        await balancer.WaitForSessionsAsync(0, ct);
    }

    [Fact]
    public async Task BackendFailover_NoBackendTakesTheSessions_502AndTheyStayOnTheirBackend()
    {
        // A failover is not a delete: a session that could not move goes on where it is.
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var clients = new[] { await balancer.ConnectAsync("/one", ct), await balancer.ConnectAsync("/two", ct) };
        await backend.WaitForConnectionsAsync(2, ct);
        backend.DeclineStatus = 503;

        var reply = await balancer.PostRawAsync("/backend/failover/b1", ct);

        Assert.Equal(HttpStatusCode.BadGateway, reply.Status);
        Assert.Equal("2 of 2 session(s) could not be moved", reply.Reason);
        foreach (var client in clients)
        {
            await client.AssertEchoAsync("still here", ct);
        }

        Assert.All((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray(), s => Assert.Equal("b1", s.GetProperty("backendId").GetString()));
    }

    [Fact]
    public async Task BackendFailover_MovesEverySessionOnThatBackend()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var clients = new List<ClientWebSocket>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await balancer.ConnectAsync($"/c{i}", ct));
        }

        var reply = await balancer.PostAsync("/backend/failover/b1", ct);

        Assert.Equal("success", reply.GetProperty("result").GetString());
        foreach (var client in clients)
        {
            await client.AssertEchoAsync("ok", ct);
        }

        var sessions = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().ToArray();
        Assert.Equal(4, sessions.Length);
        Assert.All(sessions, s => Assert.Equal("b2", s.GetProperty("backendId").GetString()));
    }

    [Fact]
    public async Task DeleteBackend_LiveSessionsMoveWithoutClientDisconnect()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var first = await balancer.ConnectAsync("/one", ct);
        var second = await balancer.ConnectAsync("/two", ct);

        var reply = await balancer.PostAsync("/backend/delete/b1", ct);

        Assert.Equal("success", reply.GetProperty("result").GetString());
        await first.AssertEchoAsync("one", ct);
        await second.AssertEchoAsync("two", ct);
        var backendIds = (await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray().Select(b => b.GetProperty("id").GetString());
        Assert.Equal(["b2"], backendIds);
        Assert.All((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray(), s => Assert.Equal("b2", s.GetProperty("backendId").GetString()));
    }
}

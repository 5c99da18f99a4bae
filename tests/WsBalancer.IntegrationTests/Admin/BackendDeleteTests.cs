using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>Deleting a backend moves its live sessions; those no other backend can take are ended, never left on it.</summary>
public sealed class BackendDeleteTests
{
    [Fact]
    public async Task Delete_OnlyBackend_ItsClientsClosedWith1011()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var clients = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => balancer.ConnectAsync($"/d{i}", ct)));
        foreach (var client in clients)
        {
            await client.AssertEchoAsync("before", ct);
        }

        var deleted = await balancer.PostRawAsync("/backend/delete/b1", ct);

        Assert.Equal(AdminHttp.Success, deleted.Body);
        foreach (var client in clients)
        {
            var close = await client.ReceiveMessageAsync(ct);
            Assert.Equal(WebSocketMessageType.Close, close.Type);
            Assert.Equal((WebSocketCloseStatus)1011, close.CloseStatus);
            Assert.Equal("backend deleted", close.CloseReason);
        }

        await balancer.WaitForSessionsAsync(0, ct);
    }

    // The delete moves the sessions it sees; one whose dial to the backend began before the delete is not listed yet.
    // Once it is, it must leave the deleted backend as the others did: never stay there, uncounted and unmovable.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Delete_WhileASessionDialsIt_SessionMovedOffOnceItStarts(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        var (stays, deleted) = (backends.All[0], backends.All[1]);
        deleted.AcceptDelay = TimeSpan.FromMilliseconds(500);
        await using var balancer = await TestBalancer.StartAsync(backends, ct, server: s => s with { FrameRelay = frameRelay });
        await balancer.PostRawAsync($"/backend/disable/{stays.Name}", ct);

        var connecting = balancer.ConnectAsync("/dialing", ct);
        await WaitForHandshakeAsync(deleted, ct);
        await balancer.PostRawAsync($"/backend/enable/{stays.Name}", ct);
        var reply = await balancer.PostRawAsync($"/backend/delete/{deleted.Name}", ct);
        var client = await connecting;

        Assert.Equal(AdminHttp.Success, reply.Body);
        await client.AssertEchoAsync("after", ct);
        using var timeout = Timeouts.Linked(ct);
        while ((await balancer.SingleSessionAsync(ct)).BackendId != stays.Name)
        {
            await Task.Delay(10, timeout.Token); // the move runs on the session's pump: polled, bounded by the timeout
        }

        await client.AssertEchoAsync("moved", ct);
        Assert.Single(stays.Connections);
    }

    private static async Task WaitForHandshakeAsync(TestBackend backend, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (backend.HandshakesStarted == 0)
        {
            await Task.Delay(5, timeout.Token); // no event for "a request arrived": polled, bounded by the timeout
        }
    }

    [Fact]
    public async Task Delete_BackendWithAnotherLeft_ClientsMovedAndStillEchoing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/d", ct);
        await client.AssertEchoAsync("before", ct);
        var original = (await balancer.SingleSessionAsync(ct)).BackendId;

        var deleted = await balancer.PostRawAsync($"/backend/delete/{original}", ct);

        Assert.Equal(AdminHttp.Success, deleted.Body);
        await client.AssertEchoAsync("after", ct);
        Assert.Equal(WebSocketState.Open, client.State);
        Assert.NotEqual(original, (await balancer.SingleSessionAsync(ct)).BackendId);
    }
}

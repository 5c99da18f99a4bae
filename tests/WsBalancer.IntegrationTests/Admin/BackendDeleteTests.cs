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

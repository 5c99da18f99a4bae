using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Failover;

public sealed class FailoverSmokeTests
{
    [Fact]
    public async Task BackendClosesWith1011_ClientStaysAndNewBackendSeesReconnectHeader()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        await using var balancer = await TestBalancer.StartAsync([b1, b2], ct);
        var client = await balancer.ConnectAsync("/ocpp/CP-1?x=1", ct);
        await client.AssertEchoAsync("before", ct);
        var first = b1.Connections.Count == 1 ? b1 : b2;
        var second = first == b1 ? b2 : b1;

        await first.CloseAllAsync(WebSocketCloseStatus.InternalServerError, "crash");
        await second.WaitForConnectionsAsync(1, ct);
        await client.AssertEchoAsync("after", ct);

        var moved = (await second.SingleConnectionAsync(ct));
        Assert.Equal("1", moved.Headers["X-Balancer-Reconnect"]);
        Assert.Equal("/ocpp/CP-1?x=1", moved.Target);
        Assert.Equal(WebSocketState.Open, client.State);
        var session = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Single();
        Assert.Equal(1, session.GetProperty("reconnects").GetInt32());
        Assert.Equal(second.Name, session.GetProperty("backendId").GetString());
    }
}

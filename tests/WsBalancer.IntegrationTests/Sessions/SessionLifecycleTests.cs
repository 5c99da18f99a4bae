using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Sessions;

public sealed class SessionLifecycleTests
{
    [Fact]
    public async Task AbortSession_ClientClosedNormally_SecondAbortNoActionRequired()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        var other = await balancer.ConnectAsync("/other", ct);
        await client.AssertEchoAsync("x", ct);
        var id = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray()
            .Single(s => s.GetProperty("uri").GetString() == "/").GetProperty("id").GetString();

        var first = await balancer.PostAsync($"/session/abort/{id}", ct);
        var closed = await client.ReceiveMessageAsync(ct);
        await balancer.WaitForSessionsAsync(1, ct);
        var second = await balancer.PostAsync($"/session/abort/{id}", ct);

        Assert.Equal("""{"result":"success"}""", first.GetRawText());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, closed.CloseStatus);
        Assert.Equal("""{"result":"success","reason":"NoActionRequired"}""", second.GetRawText());
        await backend.Connections[0].Ended.WaitAsync(Timeouts.Default, ct);
        await other.AssertEchoAsync("unharmed", ct);
    }

    [Fact]
    public async Task AbortSession_UnknownId_Fails404()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        using var response = await balancer.Admin.PostAsync("/session/abort/nope", null, ct);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"result\":\"failed\"", await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Shutdown_ClientsGetGoingAwayAndBackendsAClose()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("x", ct);

        var receive = client.ReceiveMessageAsync(ct);
        await balancer.StopAsync(ct);
        var closed = await receive;

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, closed.CloseStatus);
        Assert.Equal("balancer shutting down", closed.CloseReason);
        await backend.Connections[0].Ended.WaitAsync(Timeouts.Default, ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, backend.Connections[0].CloseStatus);
    }

    [Fact]
    public async Task ClientSendsOversizedMessage_ClosedWith1009_BackendNeverSeesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { MaxMessageBytes = 1024 });
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("small", ct);

        await client.SendBinaryAsync(new byte[4096], ct);
        var closed = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, closed.CloseStatus);
        Assert.Single(backend.Connections[0].Received);
    }
}

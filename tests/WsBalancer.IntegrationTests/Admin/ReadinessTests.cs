using System.Net;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>GET /ready: 200 while new clients can be served, 503 with a reason while they cannot.</summary>
public sealed class ReadinessTests
{
    private const string Ready = """{"status":"ready"}""";

    [Fact]
    public async Task Ready_FrontendRunningBackendEnabled_200Ready()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync("/ready", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(Ready, reply.Body);
        Assert.StartsWith("application/json", reply.ContentType);
    }

    [Fact]
    public async Task Ready_FrontendPaused_503WithReasonThen200AfterResume()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var id = (await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("id").GetString();

        await balancer.PostAsync($"/frontend/pause/{id}", ct);
        var paused = await balancer.GetAsync("/ready", ct);
        await balancer.PostAsync($"/frontend/resume/{id}", ct);
        var resumed = await balancer.GetAsync("/ready", ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, paused.Status);
        Assert.Equal("not ready", paused.Json.GetProperty("status").GetString());
        Assert.Contains("paused", paused.Reason);
        Assert.Equal((HttpStatusCode.OK, Ready), (resumed.Status, resumed.Body));
    }

    [Fact]
    public async Task Ready_EveryBackendDisabled_503ThenReadyAfterOneEnabled()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);

        await balancer.PostAsync("/backend/disable/b1", ct);
        var oneLeft = await balancer.GetAsync("/ready", ct);
        await balancer.PostAsync("/backend/disable/b2", ct);
        var noneLeft = await balancer.GetAsync("/ready", ct);
        await balancer.PostAsync("/backend/enable/b2", ct);
        var enabled = await balancer.GetAsync("/ready", ct);

        Assert.Equal((HttpStatusCode.OK, Ready), (oneLeft.Status, oneLeft.Body));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, noneLeft.Status);
        Assert.Equal("not ready", noneLeft.Json.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(noneLeft.Reason));
        Assert.Equal((HttpStatusCode.OK, Ready), (enabled.Status, enabled.Body));
    }

    [Fact]
    public async Task Ready_OnlyBackendBreakerOpen_503UntilReset()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, backend: b => b with { BreakerThreshold = 1 });
        backend.DeclineStatus = 503;
        Assert.Equal(502, await balancer.HandshakeStatusAsync("/", ct));

        var tripped = await balancer.GetAsync("/ready", ct);
        backend.DeclineStatus = null;
        var reset = await balancer.PostRawAsync("/backend/reset/b1", ct);
        var afterReset = await balancer.GetAsync("/ready", ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, tripped.Status);
        Assert.False(string.IsNullOrWhiteSpace(tripped.Reason));
        Assert.Equal(AdminHttp.Success, reset.Body);
        Assert.Equal((HttpStatusCode.OK, Ready), (afterReset.Status, afterReset.Body));
    }
}

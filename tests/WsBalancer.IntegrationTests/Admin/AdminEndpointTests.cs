using System.Net;
using System.Text;
using Bogus;
using WsBalancer.IntegrationTests.Upstream;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>Each admin endpoint's replies to wrong methods, unknown ids and no-op actions: status and exact body.</summary>
public sealed class AdminEndpointTests
{
    private readonly Faker _faker = new();

    /// <summary>Every action path; {backend}, {session} and {frontend} are replaced with ids that exist.</summary>
    public static TheoryData<string, string> ActionPathsAndMethods()
    {
        string[] paths =
        [
            "/backend/add", "/backend/disable/{backend}", "/backend/enable/{backend}", "/backend/reset/{backend}",
            "/backend/delete/{backend}", "/backend/failover/{backend}", "/session/abort/{session}",
            "/session/failover/{session}", "/frontend/pause/{frontend}", "/frontend/resume/{frontend}",
        ];
        var data = new TheoryData<string, string>();
        foreach (var path in paths)
        {
            foreach (var method in new[] { "GET", "PUT", "DELETE" })
            {
                data.Add(method, path);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ActionPathsAndMethods))]
    public async Task Action_NotPost_405OnlyPostAllowedAndNothingChanges(string method, string pathTemplate)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync($"/{_faker.Random.AlphaNumeric(6)}", ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var sessionId = (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("id").GetString()!;
        var frontendId = (await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("id").GetString()!;
        var path = pathTemplate.Replace("{backend}", "b1").Replace("{session}", sessionId).Replace("{frontend}", frontendId);
        var content = method == "GET" ? null : AdminHttp.JsonBody($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9","id":"x"}""");

        var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, new HttpMethod(method), path, ct, content);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, reply.Status);
        Assert.Equal(AdminHttp.OnlyPostAllowed, reply.Body);
        Assert.StartsWith("application/json", reply.ContentType);
        var row = await balancer.BackendAsync("b1", ct);
        Assert.True(row.Enabled);
        Assert.Single((await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray());
        Assert.False((await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("paused").GetBoolean());
        Assert.Equal(0, (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("reconnects").GetInt32());
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.Single(backend.Connections);
    }

    [Theory]
    [InlineData("POST", "/backend/disable/{id}")]
    [InlineData("POST", "/backend/delete/{id}")]
    [InlineData("POST", "/backend/failover/{id}")]
    [InlineData("GET", "/backend/config/{id}")]
    [InlineData("POST", "/session/failover/{id}")]
    [InlineData("POST", "/frontend/resume/{id}")]
    public async Task Action_UnknownId_404FailedNamingTheIdAndNothingChanges(string method, string pathTemplate)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        var before = (await balancer.GetJsonAsync("/backend/list", ct)).GetRawText();
        var id = _faker.Random.AlphaNumeric(10);

        var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, new HttpMethod(method), pathTemplate.Replace("{id}", id), ct);

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
        Assert.True(reply.IsFailedWithReason, reply.Body);
        Assert.Contains(id, reply.Reason);
        Assert.Equal(before, (await balancer.GetJsonAsync("/backend/list", ct)).GetRawText());
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Theory]
    [InlineData("/backend/disable/b1", false)]
    [InlineData("/backend/disable/b1", true)]
    [InlineData("/frontend/pause/{frontend}", false)]
    public async Task Action_BodyOver64KiB_413FailedAndNotPerformed(string pathTemplate, bool chunked)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var frontend = (await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("id").GetString()!;
        var bytes = Encoding.UTF8.GetBytes(_faker.Random.AlphaNumeric(70 * 1024));
        var content = AdminHttp.Body(bytes, chunked);

        // README, security of the admin plane: "request bodies over 64 KiB get 413" (not only on /backend/add).
        var reply = await balancer.PostRawAsync(pathTemplate.Replace("{frontend}", frontend), ct, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
        Assert.True(reply.IsFailedWithReason, reply.Body);
        Assert.True((await balancer.GetJsonAsync("/backend/list", ct))[0].GetProperty("enabled").GetBoolean());
        Assert.False((await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task ResetBackend_NotTripped_NoActionRequiredExactBody()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.PostRawAsync("/backend/reset/b1", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(AdminHttp.NoActionRequired, reply.Body);
        Assert.Equal("Closed", (await balancer.BackendAsync("b1", ct)).BreakerState);
    }

    [Fact]
    public async Task FailoverBackend_NoSessionOnIt_NoActionRequiredAndOtherSessionsStay()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        await balancer.PostAsync("/backend/disable/b2", ct);
        var client = await balancer.ConnectAsync("/", ct);

        var reply = await balancer.PostRawAsync("/backend/failover/b2", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(AdminHttp.NoActionRequired, reply.Body);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.Equal(0, (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("reconnects").GetInt32());
        Assert.Empty(backends.All[1].Connections);
    }

    [Fact]
    public async Task BackendActions_Succeed_ExactSuccessBodies()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/", ct);
        await balancer.SingleSessionAsync(ct); // registered: the client can read its 101 a moment before
        var sessionOn = (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("backendId").GetString()!;
        var sessionId = (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("id").GetString()!;

        var failoverBackend = await balancer.PostRawAsync($"/backend/failover/{sessionOn}", ct);
        var failoverSession = await balancer.PostRawAsync($"/session/failover/{sessionId}", ct);
        var disable = await balancer.PostRawAsync("/backend/disable/b2", ct);
        var delete = await balancer.PostRawAsync("/backend/delete/b2", ct);
        var deleteAgain = await balancer.PostRawAsync("/backend/delete/b2", ct);

        Assert.Equal((HttpStatusCode.OK, AdminHttp.Success), (failoverBackend.Status, failoverBackend.Body));
        Assert.Equal((HttpStatusCode.OK, AdminHttp.Success), (failoverSession.Status, failoverSession.Body));
        Assert.Equal((HttpStatusCode.OK, AdminHttp.Success), (disable.Status, disable.Body));
        Assert.Equal((HttpStatusCode.OK, AdminHttp.Success), (delete.Status, delete.Body));
        Assert.Equal(HttpStatusCode.NotFound, deleteAgain.Status);
        Assert.True(deleteAgain.IsFailedWithReason, deleteAgain.Body);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.Equal("b1", (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("backendId").GetString());
        // Two moves ordered above, plus the delete's when the session had been moved back onto b2.
        Assert.Equal(sessionOn == "b2" ? 3 : 2, (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("reconnects").GetInt32());
    }

    [Fact]
    public async Task BackendList_Fields_AncestorNamesTypesAndValues()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        await balancer.PostAsync("/backend/disable/b2", ct);
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync(_faker.Lorem.Word(), ct);

        var reply = await balancer.GetAsync("/backend/list", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.StartsWith("application/json", reply.ContentType);
        var rows = reply.Json.EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal(["b1", "b2"], rows.Keys.Order());
        string[] fields = ["url", "id", "activeConnections", "enabled", "tripped", "totalConnections", "totalFailures", "breakerState"];
        Assert.All(rows.Values, r => Assert.Equal(fields, r.EnumerateObject().Select(p => p.Name)));
        var b1 = rows["b1"];
        Assert.Equal(backends.All[0].Url.OriginalString, b1.GetProperty("url").GetString());
        Assert.Equal(1, b1.GetProperty("activeConnections").GetInt64());
        Assert.True(b1.GetProperty("enabled").GetBoolean());
        Assert.False(b1.GetProperty("tripped").GetBoolean());
        Assert.Equal(1, b1.GetProperty("totalConnections").GetInt64());
        Assert.Equal(0, b1.GetProperty("totalFailures").GetInt64());
        Assert.Equal("Closed", b1.GetProperty("breakerState").GetString());
        var b2 = rows["b2"];
        Assert.Equal(backends.All[1].Url.OriginalString, b2.GetProperty("url").GetString());
        Assert.False(b2.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, b2.GetProperty("totalConnections").GetInt64());
    }

    [Fact]
    public async Task BackendConfig_Defaults_GoDurationsAndAncestorFieldOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync("/backend/config/b1", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.StartsWith("application/json", reply.ContentType);
        var config = reply.Json;
        Assert.Equal(
            ["url", "id", "ping-time", "read-buffer-size", "write-buffer-size", "breaker-threshold", "handshake-timeout", "pass-headers", "abnormal-close-codes"],
            config.EnumerateObject().Select(p => p.Name));
        Assert.Equal(backend.Url.OriginalString, config.GetProperty("url").GetString());
        Assert.Equal("b1", config.GetProperty("id").GetString());
        Assert.Equal("10m0s", config.GetProperty("ping-time").GetString());
        Assert.Equal("10s", config.GetProperty("handshake-timeout").GetString());
        Assert.Equal(1024, config.GetProperty("read-buffer-size").GetInt32());
        Assert.Equal(1024, config.GetProperty("write-buffer-size").GetInt32());
        Assert.Equal(10, config.GetProperty("breaker-threshold").GetInt32());
        Assert.Empty(config.GetProperty("pass-headers").EnumerateArray());
        Assert.Equal([1001, 1005, 1006, 1011, 1013], config.GetProperty("abnormal-close-codes").EnumerateArray().Select(c => c.GetInt32()).Order());
    }

    [Fact]
    public async Task BackendConfig_CustomSettings_ReportedAsConfigured()
    {
        var ct = TestContext.Current.CancellationToken;
        var header = $"X-{_faker.Random.AlphaNumeric(8)}";
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, backend: b => b with
        {
            PingTime = TimeSpan.FromSeconds(90),
            HandshakeTimeout = TimeSpan.FromMilliseconds(2500),
            ReadBufferSize = 2048,
            WriteBufferSize = 4096,
            BreakerThreshold = 3,
            PassHeaders = [header],
            AbnormalCloseCodes = [1011, 4000],
        });

        var config = (await balancer.GetAsync("/backend/config/b1", ct)).Json;

        Assert.Equal("1m30s", config.GetProperty("ping-time").GetString());
        Assert.Equal("2.5s", config.GetProperty("handshake-timeout").GetString());
        Assert.Equal(2048, config.GetProperty("read-buffer-size").GetInt32());
        Assert.Equal(4096, config.GetProperty("write-buffer-size").GetInt32());
        Assert.Equal(3, config.GetProperty("breaker-threshold").GetInt32());
        Assert.Equal([header], config.GetProperty("pass-headers").EnumerateArray().Select(h => h.GetString()));
        Assert.Equal([1011, 4000], config.GetProperty("abnormal-close-codes").EnumerateArray().Select(c => c.GetInt32()));
    }

    [Fact]
    public async Task FrontendList_OneFrontend_IdAndPausedFlag()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync("/frontend/list", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.StartsWith("application/json", reply.ContentType);
        var frontend = Assert.Single(reply.Json.EnumerateArray());
        var id = frontend.GetProperty("id").GetString();
        Assert.Matches("^[0-9A-Za-z-]+$", id);
        Assert.False(frontend.GetProperty("paused").GetBoolean());
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync($"/frontend/pause/{id}", ct)).Body);
        Assert.True((await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("paused").GetBoolean());
    }

    [Fact]
    public async Task Health_Get_OkExactBody()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync("/health", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("""{"status":"ok"}""", reply.Body);
    }
}

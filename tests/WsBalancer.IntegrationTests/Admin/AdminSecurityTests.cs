using System.Net;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.IntegrationTests.Upstream;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>The admin plane's protection: bearer token, refusal of an open bind without one, and no CORS.</summary>
public sealed class AdminSecurityTests
{
    private static readonly ListenAddress AnyAddress = ListenAddress.Parse("0.0.0.0:0");

    private readonly Faker _faker = new();

    /// <summary>Every endpoint but /health, with the method its scripts use (and an unknown path and a wrong method).</summary>
    public static TheoryData<string, string> ProtectedEndpoints() => new()
    {
        { "GET", "/ready" },
        { "GET", "/metrics" },
        { "GET", "/backend/list" },
        { "GET", "/backend/config/b1" },
        { "POST", "/backend/add" },
        { "POST", "/backend/disable/b1" },
        { "POST", "/backend/enable/b1" },
        { "POST", "/backend/reset/b1" },
        { "POST", "/backend/delete/b1" },
        { "POST", "/backend/failover/b1" },
        { "GET", "/session/list" },
        { "POST", "/session/abort/{session}" },
        { "POST", "/session/failover/{session}" },
        { "GET", "/frontend/list" },
        { "POST", "/frontend/pause/{frontend}" },
        { "POST", "/frontend/resume/{frontend}" },
        { "GET", "/backend/disable/b1" },
        { "GET", "/no/such/endpoint" },
    };

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task Endpoint_TokenSetButMissingOrWrong_401UnauthorizedAndNothingChanges(string method, string pathTemplate)
    {
        var ct = TestContext.Current.CancellationToken;
        var token = _faker.Random.AlphaNumeric(32);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = token });
        var authorized = AdminHttp.Bearer(token);
        var client = await balancer.ConnectAsync("/", ct);
        var sessionId = (await balancer.GetAsync("/session/list", ct, authorized)).Json[0].GetProperty("id").GetString()!;
        var frontendId = (await balancer.GetAsync("/frontend/list", ct, authorized)).Json[0].GetProperty("id").GetString()!;
        var path = pathTemplate.Replace("{session}", sessionId).Replace("{frontend}", frontendId);
        string?[] credentials =
        [
            null,
            AdminHttp.Bearer(_faker.Random.AlphaNumeric(32)),
            AdminHttp.Bearer(token + "x"),
            AdminHttp.Bearer(token[..^1]),
            $"Basic {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:" + token))}",
            token,
            "Bearer",
        ];

        foreach (var credential in credentials)
        {
            var content = method == "POST" ? AdminHttp.JsonBody($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9","id":"x"}""") : null;
            var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, new HttpMethod(method), path, ct, content, credential);

            Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
            Assert.Equal(AdminHttp.Unauthorized, reply.Body);
            Assert.Equal("Bearer", reply.Headers["WWW-Authenticate"]);
            Assert.DoesNotContain(token, reply.Body + string.Join(' ', reply.Headers.Values));
        }

        var list = (await balancer.GetAsync("/backend/list", ct, authorized)).Json;
        var row = Assert.Single(list.EnumerateArray());
        Assert.True(row.GetProperty("enabled").GetBoolean());
        Assert.False((await balancer.GetAsync("/frontend/list", ct, authorized)).Json[0].GetProperty("paused").GetBoolean());
        Assert.Equal(0, (await balancer.GetAsync("/session/list", ct, authorized)).Json[0].GetProperty("reconnects").GetInt32());
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Theory]
    [InlineData("GET", "/ready", "Bearer {token}")]
    [InlineData("GET", "/backend/list", "Bearer {token}")]
    [InlineData("GET", "/backend/config/b1", "Bearer {token}")]
    [InlineData("GET", "/session/list", "Bearer {token}")]
    [InlineData("GET", "/frontend/list", "Bearer {token}")]
    [InlineData("GET", "/metrics", "Bearer {token}")]
    [InlineData("POST", "/backend/reset/b1", "Bearer {token}")]
    [InlineData("GET", "/backend/list", "bearer {token}")]
    public async Task Endpoint_RightToken_200(string method, string path, string authorization)
    {
        var ct = TestContext.Current.CancellationToken;
        var token = _faker.Random.AlphaNumeric(32);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = token });

        var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, new HttpMethod(method), path, ct, authorization: authorization.Replace("{token}", token));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.False(reply.Headers.ContainsKey("WWW-Authenticate"));
    }

    [Fact]
    public async Task Actions_RightToken_PerformedWithAncestorReplies()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = _faker.Random.AlphaNumeric(32);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = token });
        var authorized = AdminHttp.Bearer(token);

        var disable = await balancer.PostRawAsync("/backend/disable/b1", ct, authorization: authorized);
        var again = await balancer.PostRawAsync("/backend/disable/b1", ct, authorization: authorized);

        Assert.Equal(AdminHttp.Success, disable.Body);
        Assert.Equal(AdminHttp.NoActionRequired, again.Body);
        Assert.False((await balancer.GetAsync("/backend/list", ct, authorized)).Json[0].GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task Health_TokenSet_OkWithoutToken()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = _faker.Random.AlphaNumeric(32) });

        var reply = await balancer.GetAsync("/health", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("""{"status":"ok"}""", reply.Body);
    }

    [Theory]
    [InlineData("GET", "/ready")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/backend/list")]
    [InlineData("GET", "/backend/config/b1")]
    [InlineData("GET", "/session/list")]
    [InlineData("GET", "/frontend/list")]
    [InlineData("POST", "/backend/reset/b1")]
    public async Task Endpoint_NoTokenOnLoopback_WorksWithoutAuthorization(string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, new HttpMethod(method), path, ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.False(reply.Headers.ContainsKey("WWW-Authenticate"));
    }

    [Fact]
    public async Task StartAsync_AdminOnEveryInterfaceWithoutToken_ThrowsNamingAdminAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);

        var error = await Assert.ThrowsAsync<ConfigurationErrorException>(() =>
            TestBalancer.StartAsync([backend], ct, server: s => s with { Admin = s.Admin with { Address = AnyAddress } }));

        Assert.Contains("server.admin.address", error.Message);
        Assert.Equal("server.admin.address", error.Key);
    }

    [Fact]
    public async Task StartAsync_AdminOnEveryInterfaceWithToken_StartsAndRequiresToken()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = _faker.Random.AlphaNumeric(32);
        await using var backend = await TestBackend.StartAsync("b1", ct);

        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            Admin = s.Admin with { Address = AnyAddress },
            AdminToken = token,
        });
        var client = await balancer.ConnectAsync("/", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.GetAsync("/backend/list", ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await balancer.GetAsync("/backend/list", ct, AdminHttp.Bearer(token))).Status);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Fact]
    public async Task StartAsync_AdminOnEveryInterfaceAllowInsecure_StartsWithoutToken()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);

        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            Admin = s.Admin with { Address = AnyAddress },
            AdminAllowInsecure = true,
        });

        var reply = await balancer.GetAsync("/backend/list", ct);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("b1", reply.Json[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("GET", "/backend/list")]
    [InlineData("POST", "/backend/reset/b1")]
    [InlineData("GET", "/health")]
    public async Task Request_FromOtherOrigin_NoCorsHeaders(string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, new HttpMethod(method), path, ct,
            headers: new Dictionary<string, string> { ["Origin"] = "http://evil.example" });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.DoesNotContain(reply.Headers.Keys, h => h.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("/backend/list", "GET")]
    [InlineData("/backend/disable/b1", "POST")]
    [InlineData("/backend/add", "POST")]
    public async Task Preflight_FromOtherOrigin_NoCorsHeadersAndNothingChanges(string path, string requestedMethod)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, HttpMethod.Options, path, ct, headers: new Dictionary<string, string>
        {
            ["Origin"] = "http://evil.example",
            ["Access-Control-Request-Method"] = requestedMethod,
            ["Access-Control-Request-Headers"] = "authorization, content-type",
        });

        Assert.DoesNotContain(reply.Headers.Keys, h => h.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        Assert.True((await balancer.BackendAsync("b1", ct)).Enabled);
    }
}

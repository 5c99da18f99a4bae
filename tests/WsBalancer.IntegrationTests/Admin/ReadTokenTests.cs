using System.Net;
using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>The read-only token: every GET, nothing else (403 with a reason), and GET /admin/whoami to tell the roles apart.</summary>
public sealed class ReadTokenTests
{
    private readonly Faker _faker = new();
    private readonly string _admin;
    private readonly string _read;

    public ReadTokenTests()
    {
        _admin = _faker.Random.AlphaNumeric(32);
        _read = _faker.Random.AlphaNumeric(32);
    }

    private Task<TestBalancer> StartAsync(TestBackend backend, CancellationToken ct) =>
        TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = _admin, AdminReadToken = _read });

    [Theory]
    [InlineData("/backend/list")]
    [InlineData("/backend/config/b1")]
    [InlineData("/session/list")]
    [InlineData("/session/list?limit=5")]
    [InlineData("/frontend/list")]
    [InlineData("/plugin/list")]
    [InlineData("/script/list")]
    [InlineData("/metrics")]
    [InlineData("/ready")]
    [InlineData("/stats")]
    public async Task Get_ReadToken_200(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);

        var reply = await balancer.GetAsync(path, ct, AdminHttp.Bearer(_read));

        Assert.Equal(HttpStatusCode.OK, reply.Status);
    }

    [Theory]
    [InlineData("/backend/disable/b1")]
    [InlineData("/backend/delete/b1")]
    [InlineData("/frontend/pause/{frontend}")]
    [InlineData("/session/abort/{session}")]
    [InlineData("/plugin/reload/RateLimit")]
    [InlineData("/script/disable/x.js")]
    public async Task Post_ReadToken_403WithReasonAndNothingChanges(string pathTemplate)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);
        var client = await balancer.ConnectAsync("/", ct);
        var admin = AdminHttp.Bearer(_admin);
        var sessionId = (await balancer.GetAsync("/session/list", ct, admin)).Json[0].GetProperty("id").GetString()!;
        var frontendId = (await balancer.GetAsync("/frontend/list", ct, admin)).Json[0].GetProperty("id").GetString()!;
        var path = pathTemplate.Replace("{session}", sessionId).Replace("{frontend}", frontendId);

        var reply = await balancer.PostRawAsync(path, ct, authorization: AdminHttp.Bearer(_read));

        Assert.Equal(HttpStatusCode.Forbidden, reply.Status);
        Assert.True(reply.IsFailedWithReason);
        Assert.Equal("ReadOnlyToken", reply.Reason);
        var backends = (await balancer.GetAsync("/backend/list", ct, admin)).Json;
        Assert.True(backends[0].GetProperty("enabled").GetBoolean());
        Assert.False((await balancer.GetAsync("/frontend/list", ct, admin)).Json[0].GetProperty("paused").GetBoolean());
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Fact]
    public async Task Post_AdminToken_StillActs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);

        var reply = await balancer.PostRawAsync("/backend/disable/b1", ct, authorization: AdminHttp.Bearer(_admin));

        Assert.Equal(AdminHttp.Success, reply.Body);
    }

    [Fact]
    public async Task WhoAmI_EachToken_ItsRole_NoneOrWrong401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);

        var admin = await balancer.GetAsync("/admin/whoami", ct, AdminHttp.Bearer(_admin));
        var read = await balancer.GetAsync("/admin/whoami", ct, AdminHttp.Bearer(_read));
        var none = await balancer.GetAsync("/admin/whoami", ct);
        var wrong = await balancer.GetAsync("/admin/whoami", ct, AdminHttp.Bearer(_read + "x"));

        Assert.Equal("""{"role":"admin","tokenRequired":true}""", admin.Body);
        Assert.Equal("""{"role":"read","tokenRequired":true}""", read.Body);
        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Equal(AdminHttp.Unauthorized, wrong.Body);
    }

    [Fact]
    public async Task WhoAmI_NoTokenConfigured_AdminWithoutToken()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync("/admin/whoami", ct);

        Assert.Equal("""{"role":"admin","tokenRequired":false}""", reply.Body);
    }

    [Fact]
    public async Task StartAsync_OffLoopbackWithOnlyAReadToken_RefusedNamingAdminAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);

        var error = await Assert.ThrowsAsync<ConfigurationErrorException>(() => TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            Admin = s.Admin with { Address = ListenAddress.Parse("0.0.0.0:0") },
            AdminReadToken = _read,
        }));

        Assert.Equal("server.admin.address", error.Key);
    }
}

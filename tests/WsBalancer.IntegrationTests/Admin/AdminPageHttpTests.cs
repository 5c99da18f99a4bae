using System.Net;
using Bogus;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>The web page over HTTP: served at / without a token, strict security headers, ETags and 304.</summary>
public sealed class AdminPageHttpTests
{
    private readonly Faker _faker = new();

    [Theory]
    [InlineData("/", "text/html; charset=utf-8")]
    [InlineData("/assets/app.css", "text/css; charset=utf-8")]
    [InlineData("/assets/js/main.js", "text/javascript; charset=utf-8")]
    [InlineData("/assets/favicon.svg", "image/svg+xml")]
    public async Task PageFile_TokenConfigured_ServedWithoutTokenWithSecurityHeaders(string path, string contentType)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = _faker.Random.AlphaNumeric(32) });

        var reply = await balancer.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(contentType, reply.ContentType);
        AssertSecurityHeaders(reply);
        Assert.Equal("no-cache", reply.Headers["Cache-Control"]);
        Assert.Matches("^\"[0-9a-f]{32}\"$", reply.Headers["ETag"]);
    }

    [Fact]
    public async Task Page_RepeatWithItsETag_304WithoutBody()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var first = await balancer.GetAsync("/assets/js/api.js", ct);

        var again = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, HttpMethod.Get, "/assets/js/api.js", ct,
            headers: new Dictionary<string, string> { ["If-None-Match"] = first.Headers["ETag"] });
        var other = await AdminHttp.SendAsync(balancer.Admin.BaseAddress!, HttpMethod.Get, "/assets/js/api.js", ct,
            headers: new Dictionary<string, string> { ["If-None-Match"] = "\"0000\"" });

        Assert.Equal(HttpStatusCode.NotModified, again.Status);
        Assert.Equal("", again.Body);
        Assert.Equal(first.Headers["ETag"], again.Headers["ETag"]);
        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.Equal(first.Body, other.Body);
    }

    [Theory]
    [InlineData("/assets/nothing.js")]
    [InlineData("/assets/index.html")]
    [InlineData("/assets/../WsBalancer.Host.dll")]
    public async Task UnknownPageFile_404(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync(path, ct);

        Assert.Equal(HttpStatusCode.NotFound, reply.Status);
    }

    [Theory]
    [InlineData("/backend/list")]
    [InlineData("/session/list")]
    [InlineData("/stats")]
    [InlineData("/health")]
    public async Task ApiReply_CarriesTheSameSecurityHeaders(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        AssertSecurityHeaders(await balancer.GetAsync(path, ct));
    }

    [Fact]
    public async Task PostToPage_TokenConfigured_401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = _faker.Random.AlphaNumeric(32) });

        var reply = await balancer.PostRawAsync("/", ct);

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    private static void AssertSecurityHeaders(AdminReply reply)
    {
        var policy = reply.Headers["Content-Security-Policy"];
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", reply.Headers["X-Content-Type-Options"]);
        Assert.Equal("no-referrer", reply.Headers["Referrer-Policy"]);
        Assert.Equal("DENY", reply.Headers["X-Frame-Options"]);
    }
}

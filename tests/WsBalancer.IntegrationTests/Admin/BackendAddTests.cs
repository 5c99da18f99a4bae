using System.Net;
using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>POST /backend/add: the ancestor's JSON fields, every validation failure at 400, and the 64 KiB body limit.</summary>
public sealed class BackendAddTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task AddBackend_ValidJson_SuccessListedAndTakesSessions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        var added = backends.All[1];
        await using var balancer = await TestBalancer.StartAsync([backends.All[0]], ct);
        var id = $"green-{_faker.Random.AlphaNumeric(6)}";

        var reply = await balancer.AddBackendAsync($$"""{"url":"{{added.Url.OriginalString}}","id":"{{id}}","ping-time":"5m","breaker-threshold":4}""", ct);
        var clients = new[] { await balancer.ConnectAsync("/one", ct), await balancer.ConnectAsync("/two", ct) };

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(AdminHttp.Success, reply.Body);
        var row = (await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
        Assert.Equal(added.Url.OriginalString, row.GetProperty("url").GetString());
        Assert.True(row.GetProperty("enabled").GetBoolean());
        var config = (await balancer.GetAsync($"/backend/config/{id}", ct)).Json;
        Assert.Equal("5m0s", config.GetProperty("ping-time").GetString());
        Assert.Equal(4, config.GetProperty("breaker-threshold").GetInt32());
        Assert.Equal("10s", config.GetProperty("handshake-timeout").GetString()); // not given: the default
        Assert.Single(added.Connections); // round robin over both: one of the two new sessions
        foreach (var client in clients)
        {
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        Assert.Contains((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray(), s => s.GetProperty("backendId").GetString() == id);
    }

    [Fact]
    public async Task AddBackend_NoId_IdDerivedFromHostAndPort()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var port = _faker.Random.Int(1024, 65535);

        var reply = await balancer.AddBackendAsync($$"""{"url":"ws://127.0.0.1:{{port}}/base"}""", ct);

        Assert.Equal(AdminHttp.Success, reply.Body);
        Assert.Equal(HttpStatusCode.OK, (await balancer.GetAsync($"/backend/config/127-0-0-1-{port}", ct)).Status);
    }

    [Fact]
    public async Task AddBackend_UnknownField_400NamingItNothingAdded()
    {
        // The ancestor ignored unknown fields, so a typo ("ping_time") silently gave the default; here it is named.
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var field = _faker.Random.AlphaNumeric(12);

        var reply = await balancer.AddBackendAsync(
            $$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9090","id":"extra","{{field}}":{"nested":[1,2,3]} }""", ct);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.True(reply.IsFailedWithReason, reply.Body);
        Assert.StartsWith($"unknown field '{field}'", reply.Reason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await balancer.GetAsync("/backend/config/extra", ct)).Status);
    }

    [Theory]
    [InlineData("""{"id":"x"}""", "url")]
    [InlineData("""{"url":"","id":"x"}""", "url")]
    [InlineData("""{"url":"http://{host}:9090","id":"x"}""", "ws://")]
    [InlineData("""{"url":"not a url","id":"x"}""", "ws://")]
    [InlineData("""{"url":"{existing}","id":"x"}""", "duplicate url")]
    [InlineData("""{"url":"{existing}/","id":"x"}""", "duplicate url")]
    [InlineData("""{"url":"ws://{host}:9090","id":"b1"}""", "duplicate id")]
    [InlineData("""{"url":"ws://{host}:9090","id":"x","ping-time":"ten"}""", "ping-time")]
    [InlineData("""{"url":"ws://{host}:9090","id":"x","ping-time":"-5s"}""", "ping-time")]
    [InlineData("""{"url":"ws://{host}:9090","id":"x","handshake-timeout":"10 seconds"}""", "handshake-timeout")]
    [InlineData("""{"url":"ws://{host}:9090","id":"x","abnormal-close-codes":[1011,999]}""", "abnormal-close-codes")]
    [InlineData("""{"url":"ws://{host}:9090","id":"x","abnormal-close-codes":[5000]}""", "abnormal-close-codes")]
    [InlineData("""{"url":"ws://{host}:9090","id":"x","read-buffer-size":-1}""", "read-buffer-size")]
    public async Task AddBackend_InvalidDefinition_400FailedWithReasonAndNothingAdded(string template, string reasonMentions)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var json = template.Replace("{existing}", backend.Url.OriginalString).Replace("{host}", _faker.Internet.DomainName());
        var before = (await balancer.GetJsonAsync("/backend/list", ct)).GetRawText();

        var reply = await balancer.AddBackendAsync(json, ct);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.True(reply.IsFailedWithReason, reply.Body);
        Assert.Contains(reasonMentions, reply.Reason);
        Assert.Equal(before, (await balancer.GetJsonAsync("/backend/list", ct)).GetRawText());
        Assert.Equal(HttpStatusCode.NotFound, (await balancer.GetAsync("/backend/config/x", ct)).Status);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    public async Task AddBackend_IdNotUsableInAPath_RefusedOrStillAdministrable(string id)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.AddBackendAsync($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9090","id":"{{id}}"}""", ct);

        // Either outcome is fine; what must not happen is a stored backend that no admin call can disable or delete.
        if (reply.Status == HttpStatusCode.BadRequest)
        {
            Assert.True(reply.IsFailedWithReason, reply.Body);
            Assert.Single((await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray());
            return;
        }

        Assert.Equal(AdminHttp.Success, reply.Body);
        var deleted = await balancer.PostRawAsync($"/backend/delete/{Uri.EscapeDataString(id)}", ct);
        Assert.Equal(AdminHttp.Success, deleted.Body);
        Assert.Single((await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray());
    }

    [Theory]
    [InlineData("{")]
    [InlineData("<>")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"url":42}""")]
    [InlineData("""{"url":"ws://example.com:9","ping-time":10}""")]
    [InlineData("""{"url":"ws://example.com:9"} trailing""")]
    public async Task AddBackend_MalformedJson_400FailedAndBalancerUnharmed(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);

        var reply = await balancer.AddBackendAsync(body, ct);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.True(reply.IsFailedWithReason, reply.Body);
        Assert.Single((await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray());
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AddBackend_BodyOver64KiB_413FailedNothingAddedBalancerKeepsWorking(bool chunked)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var live = await balancer.ConnectAsync("/live", ct);
        var json = $$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9090","id":"big","padding":"{{_faker.Random.AlphaNumeric(70 * 1024)}}"}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        var content = AdminHttp.Body(bytes, chunked);

        var reply = await balancer.PostRawAsync("/backend/add", ct, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
        Assert.True(reply.IsFailedWithReason, reply.Body);
        Assert.Equal(HttpStatusCode.NotFound, (await balancer.GetAsync("/backend/config/big", ct)).Status);
        Assert.Equal(AdminHttp.Success, (await balancer.AddBackendAsync($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9090","id":"small"}""", ct)).Body);
        await live.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var fresh = await balancer.ConnectAsync("/fresh", ct);
        await fresh.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Fact]
    public async Task AddBackend_BodyExactly64KiB_Success()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var prefix = "{\"url\":\"ws://" + _faker.Internet.DomainName() + ":9090\",\"id\":\"padded\"";
        var json = prefix + new string(' ', 64 * 1024 - prefix.Length - 1) + "}"; // JSON whitespace: no unknown field

        var reply = await balancer.AddBackendAsync(json, ct);

        Assert.Equal(64 * 1024, Encoding.UTF8.GetByteCount(json));
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(AdminHttp.Success, reply.Body);
    }

    [Fact]
    public async Task AddBackend_ConfigOfDeletedBackendPostedBack_SameConfig()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct, backend: b => b with
        {
            PingTime = TimeSpan.FromSeconds(45),
            PassHeaders = [$"X-{_faker.Random.AlphaNumeric(6)}"],
            AbnormalCloseCodes = [1011, 4001],
            BreakerThreshold = 7,
        });
        var original = (await balancer.GetAsync("/backend/config/b1", ct)).Body;

        var deleted = await balancer.PostRawAsync("/backend/delete/b1", ct);
        var added = await balancer.AddBackendAsync(original, ct);

        Assert.Equal(AdminHttp.Success, deleted.Body);
        Assert.Equal(AdminHttp.Success, added.Body);
        Assert.Equal(original, (await balancer.GetAsync("/backend/config/b1", ct)).Body);
    }
}

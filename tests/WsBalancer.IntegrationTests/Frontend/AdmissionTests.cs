using System.Text.Json;
using Bogus;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>What the frontend admits: upgrades on any path (forwarded to base URL + path + query), never plain HTTP, nothing while paused.</summary>
public sealed class AdmissionTests
{
    private const string NoActionRequired = """{"result":"success","reason":"NoActionRequired"}""";

    private readonly Faker _faker = new();

    [Fact]
    public async Task PlainHttpGet_AnyPath_400WithJsonReasonAndNoDial()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await FrontendHttp.GetAsync(balancer.FrontendUri, $"/{_faker.Lorem.Word()}/{_faker.Random.AlphaNumeric(8)}?{_faker.Lorem.Word()}=1", ct);

        Assert.Equal(400, reply.Status);
        Assert.Equal("application/json", reply.MediaType);
        Assert.Equal("failed", reply.Body.GetProperty("result").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.Reason));
        Assert.Empty(backend.Connections);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/base/v1")]
    [InlineData("/base/v1/")]
    public async Task Upgrade_AnyPathAndQuery_BackendDialedWithBaseUrlPlusExactTarget(string basePath)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, backend: b => b with { Url = new Uri(b.Url, basePath) });
        string[] targets =
        [
            "/",
            $"/?{_faker.Lorem.Word()}={_faker.Random.Int(0, 9999)}",
            $"/{_faker.Lorem.Word()}/{_faker.Random.AlphaNumeric(12)}",
            $"/ocpp/{Uri.EscapeDataString(_faker.Lorem.Sentence(3))}?{_faker.Lorem.Word()}={Uri.EscapeDataString(_faker.Lorem.Sentence(2))}&id={_faker.Random.Guid()}",
            $"/{Uri.EscapeDataString("ü" + _faker.Lorem.Word() + "é")}/a%2Fb/%3F%23?q={Uri.EscapeDataString("a&b=c/d?e#f")}&empty=&flag&plus=a+b",
        ];

        foreach (var target in targets)
        {
            var client = await balancer.ConnectAsync(target, ct);
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        var expected = targets.Select(t => basePath.TrimEnd('/') + t);
        Assert.Equal(expected, backend.Connections.Select(c => c.Target));
    }

    [Fact]
    public async Task Upgrade_RawTargetWithReservedEscapes_ForwardedVerbatim()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        // Sent byte for byte (no client-side Uri normalization): escapes of reserved characters must survive the hop.
        var target = $"/{_faker.Lorem.Word()}%2F%3F%23%25%20x/;p=1?x=%26%3D&y=%2B+{_faker.Random.AlphaNumeric(6)}&z";
        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, target, ct);

        await client.SendTextAsync("hello", ct);
        var echo = await client.ReceiveFrameAsync(ct);

        Assert.Equal("hello", echo.Text);
        Assert.Equal(target, (await backend.SingleConnectionAsync(ct)).Target);
    }

    [Fact]
    public async Task PauseFrontend_WhilePaused_NewHandshakes503AndLiveSessionKeepsWorking()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var live = await balancer.ConnectAsync("/live", ct);
        await live.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var id = await FrontendIdAsync(balancer, ct);

        var paused = await balancer.PostAsync($"/frontend/pause/{id}", ct);
        var status = await balancer.HandshakeStatusAsync("/new", ct);
        var refused = await FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, "/new", ct);
        var text = _faker.Lorem.Paragraph();
        await live.AssertEchoAsync(text, ct);

        Assert.Equal("""{"result":"success"}""", paused.GetRawText());
        Assert.Equal(503, status);
        Assert.Equal(503, refused.Status);
        Assert.Equal("application/json", refused.MediaType);
        Assert.False(string.IsNullOrWhiteSpace(refused.Reason));
        Assert.True((await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("paused").GetBoolean());
        Assert.Single(backend.Connections); // a refused handshake never reaches a backend
        Assert.Equal(text, (await backend.SingleConnectionAsync(ct)).Received[^1].Text);
    }

    [Fact]
    public async Task ResumeFrontend_AfterPause_NewSessionsConnectAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var id = await FrontendIdAsync(balancer, ct);
        await balancer.PostAsync($"/frontend/pause/{id}", ct);
        Assert.Equal(503, await balancer.HandshakeStatusAsync("/while-paused", ct));

        var resumed = await balancer.PostAsync($"/frontend/resume/{id}", ct);
        var client = await balancer.ConnectAsync("/after-resume", ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        Assert.Equal("""{"result":"success"}""", resumed.GetRawText());
        Assert.False((await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("paused").GetBoolean());
        Assert.Equal("/after-resume", (await backend.SingleConnectionAsync(ct)).Target);
    }

    [Fact]
    public async Task PauseFrontend_AlreadyPaused_SuccessWithNoActionRequired()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var id = await FrontendIdAsync(balancer, ct);

        var first = await balancer.PostAsync($"/frontend/pause/{id}", ct);
        var second = await balancer.PostAsync($"/frontend/pause/{id}", ct);
        var firstResume = await balancer.PostAsync($"/frontend/resume/{id}", ct);
        var secondResume = await balancer.PostAsync($"/frontend/resume/{id}", ct);

        Assert.Equal("""{"result":"success"}""", first.GetRawText());
        Assert.Equal(NoActionRequired, second.GetRawText());
        Assert.Equal("""{"result":"success"}""", firstResume.GetRawText());
        Assert.Equal(NoActionRequired, secondResume.GetRawText());
    }

    [Fact]
    public async Task PauseFrontend_UnknownId_FailedAndFrontendStillAdmits()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        using var response = await balancer.Admin.PostAsync($"/frontend/pause/{_faker.Random.AlphaNumeric(10)}", null, ct);
        var body = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync(ct));
        var client = await balancer.ConnectAsync("/x", ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("failed", body.GetProperty("result").GetString());
    }

    private static async Task<string> FrontendIdAsync(TestBalancer balancer, CancellationToken cancellationToken)
    {
        var list = await balancer.GetJsonAsync("/frontend/list", cancellationToken);
        return list.EnumerateArray().Single().GetProperty("id").GetString()!;
    }
}

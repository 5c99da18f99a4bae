using System.Net;
using System.Text.Json;
using Bogus;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>GET /session/list?q=&amp;backend=&amp;offset=&amp;limit= over HTTP: pages, filters, errors, and the plain array kept.</summary>
public sealed class SessionListPagingTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task Pages_OffsetAndLimit_CoverEverySessionOnceWithTotal()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        const int count = 7;
        for (var i = 0; i < count; i++)
        {
            await balancer.ConnectAsync($"/device/{i}", ct);
        }

        await balancer.WaitForSessionsAsync(count, ct);

        var ids = new List<string>();
        for (var offset = 0; offset < count; offset += 3)
        {
            var page = (await balancer.GetAsync($"/session/list?offset={offset}&limit=3", ct)).Json;
            Assert.Equal(["total", "offset", "limit", "items"], page.EnumerateObject().Select(p => p.Name));
            Assert.Equal(count, page.GetProperty("total").GetInt32());
            Assert.Equal(offset, page.GetProperty("offset").GetInt32());
            Assert.Equal(3, page.GetProperty("limit").GetInt32());
            ids.AddRange(page.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetString()!));
        }

        var all = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Select(s => s.GetProperty("id").GetString()!);
        Assert.Equal(count, ids.Distinct().Count());
        Assert.Equal(all.Order(), ids.Order());
    }

    [Fact]
    public async Task Filter_ByIdUriAndBackend_ServerSide()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var marker = _faker.Random.AlphaNumeric(10);
        await balancer.ConnectAsync($"/charger/{marker}?x=1", ct);
        for (var i = 0; i < 5; i++)
        {
            await balancer.ConnectAsync($"/other/{i}", ct);
        }

        await balancer.WaitForSessionsAsync(6, ct);
        var plain = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().ToList();
        var marked = plain.Single(s => s.GetProperty("uri").GetString()!.Contains(marker, StringComparison.Ordinal));

        var byUri = (await balancer.GetAsync($"/session/list?q={marker.ToUpperInvariant()}", ct)).Json;
        var byId = (await balancer.GetAsync($"/session/list?q={marked.GetProperty("id").GetString()}", ct)).Json;
        var onB1 = (await balancer.GetAsync("/session/list?backend=b1&limit=500", ct)).Json;

        Assert.Equal(1, byUri.GetProperty("total").GetInt32());
        Assert.Equal(marked.GetProperty("id").GetString(), byUri.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.Equal(marked.ToString(), byId.GetProperty("items")[0].ToString());
        Assert.Equal(plain.Count(s => s.GetProperty("backendId").GetString() == "b1"), onB1.GetProperty("total").GetInt32());
        Assert.All(onB1.GetProperty("items").EnumerateArray(), s => Assert.Equal("b1", s.GetProperty("backendId").GetString()));
    }

    [Theory]
    [InlineData("limit=501", "limit '501' must be a whole number from 1 to 500")]
    [InlineData("limit=0", "limit '0' must be a whole number from 1 to 500")]
    [InlineData("offset=-5", "offset '-5' must be a whole number from 0")]
    [InlineData("offset=abc&limit=10", "offset 'abc' must be a whole number from 0")]
    [InlineData("q=a&q=b", "q given 2 times; give it once")]
    public async Task BadParameters_400WithReason(string query, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync($"/session/list?{query}", ct);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.True(reply.IsFailedWithReason);
        Assert.Equal(reason, reply.Reason);
    }

    [Fact]
    public async Task NoParameters_PlainArrayAsBefore()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        await balancer.ConnectAsync("/", ct);

        var reply = await balancer.GetAsync("/session/list", ct);
        var unrelated = await balancer.GetAsync("/session/list?verbose=1", ct);

        Assert.Equal(JsonValueKind.Array, reply.Json.ValueKind);
        Assert.Equal(JsonValueKind.Array, unrelated.Json.ValueKind);
    }

    [Fact]
    public async Task Stats_CountsSessionsMessagesAndFailovers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/", ct);
        var echoes = _faker.Random.Int(2, 5);
        for (var i = 0; i < echoes; i++)
        {
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        }

        var sessionId = (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("id").GetString();
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync($"/session/failover/{sessionId}", ct)).Body);
        var stats = (await balancer.GetAsync("/stats", ct)).Json;

        Assert.Equal(1, stats.GetProperty("sessions").GetInt32());
        Assert.Equal(echoes, stats.GetProperty("messagesReceived").GetInt64());
        Assert.Equal(echoes, stats.GetProperty("messagesSent").GetInt64());
        Assert.Equal(1, stats.GetProperty("failoversLast5m").GetInt64());
        Assert.Equal(1, stats.GetProperty("failoversTotal").GetInt64());
        Assert.False(stats.GetProperty("frontend").GetProperty("paused").GetBoolean());
        Assert.Equal(2, stats.GetProperty("backends").GetProperty("up").GetInt32());

        client.Abort();
        await balancer.WaitForSessionsAsync(0, ct);
        var after = (await balancer.GetAsync("/stats", ct)).Json;
        Assert.Equal(0, after.GetProperty("sessions").GetInt32());
        Assert.Equal(echoes, after.GetProperty("messagesReceived").GetInt64()); // an ended session's messages still count
    }
}

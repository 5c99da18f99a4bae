using System.Net;
using System.Text.Json;
using Bogus;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>GET /session/list: the ancestor's fields and counters that count what crossed the balancer, per direction.</summary>
public sealed class SessionListTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task SessionList_AfterEchoesAndBackendPushes_FieldsAndPerDirectionCounts()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { FrameRelay = true });
        var pathAndQuery = $"/{_faker.Random.AlphaNumeric(6)}/{_faker.Lorem.Word()}?{_faker.Random.AlphaNumeric(4)}={_faker.Random.Int(1, 999)}&z=1";
        var before = DateTimeOffset.UtcNow;
        var client = await balancer.ConnectAsync(pathAndQuery, ct);
        var echoes = _faker.Random.Int(3, 8);
        var pushes = _faker.Random.Int(1, 4);
        for (var i = 0; i < echoes; i++)
        {
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        for (var i = 0; i < pushes; i++)
        {
            var pushed = _faker.Lorem.Word();
            await backend.Connections[0].SendTextAsync(pushed, ct);
            Assert.Equal(pushed, await client.ReceiveTextAsync(ct));
        }

        var after = DateTimeOffset.UtcNow;

        var session = await WaitForSessionAsync(balancer, s => s.GetProperty("msgsSent").GetInt64() >= echoes + pushes, ct);

        Assert.Equal(
            ["id", "uri", "backendId", "reconnects", "msgsReceived", "msgsSent", "startedAt", "remoteAddress", "path"],
            session.EnumerateObject().Select(p => p.Name));
        Assert.Equal("relay", session.GetProperty("path").GetString()); // no valve, no script: frame by frame
        Assert.False(string.IsNullOrWhiteSpace(session.GetProperty("id").GetString()));
        Assert.Equal(pathAndQuery, session.GetProperty("uri").GetString());
        Assert.Equal("b1", session.GetProperty("backendId").GetString());
        Assert.Equal(0, session.GetProperty("reconnects").GetInt32());
        Assert.Equal(echoes, session.GetProperty("msgsReceived").GetInt64());
        Assert.Equal(echoes + pushes, session.GetProperty("msgsSent").GetInt64());
        Assert.InRange(session.GetProperty("startedAt").GetDateTimeOffset(), before.AddSeconds(-1), after.AddSeconds(1));
        Assert.Equal("127.0.0.1", session.GetProperty("remoteAddress").GetString());
    }

    [Fact]
    public async Task SessionList_BackendSilent_ReceivedCountsClientMessagesOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.Echo = false;
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/", ct);
        var count = _faker.Random.Int(2, 6);
        for (var i = 0; i < count; i++)
        {
            await client.SendTextAsync(_faker.Lorem.Word(), ct);
        }

        await backend.Connections[0].WaitForMessageAsync(count - 1, ct);

        var session = Assert.Single((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray());
        Assert.Equal(count, session.GetProperty("msgsReceived").GetInt64());
        Assert.Equal(0, session.GetProperty("msgsSent").GetInt64());
    }

    [Fact]
    public async Task SessionList_AfterFailover_ReconnectsAndNewBackendCountersKept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/kept", ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var first = Assert.Single((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray());
        var firstBackend = first.GetProperty("backendId").GetString();

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync($"/session/failover/{first.GetProperty("id").GetString()}", ct)).Body);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        var moved = await WaitForSessionAsync(balancer, s => s.GetProperty("msgsSent").GetInt64() >= 2, ct);
        Assert.Equal(first.GetProperty("id").GetString(), moved.GetProperty("id").GetString());
        Assert.NotEqual(firstBackend, moved.GetProperty("backendId").GetString());
        Assert.Equal(1, moved.GetProperty("reconnects").GetInt32());
        Assert.Equal(2, moved.GetProperty("msgsReceived").GetInt64());
        Assert.Equal(2, moved.GetProperty("msgsSent").GetInt64());
        Assert.Equal(first.GetProperty("startedAt").GetRawText(), moved.GetProperty("startedAt").GetRawText());
    }

    [Theory]
    [InlineData("/a%2Fb/%3F%23%25?x=%26%3D&y=%2B+1")]
    [InlineData("/%E2%82%AC/%20space?e=%E2%82%AC")]
    [InlineData("/ocpp/CP-0001;v=1.6?token=a%2Bb")]
    public async Task SessionList_EscapedTarget_UriIsTheTargetAsSent(string target)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, target, ct);
        await client.SendTextAsync(_faker.Lorem.Word(), ct);
        await client.ReceiveFrameAsync(ct);

        var session = Assert.Single((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray());

        Assert.Equal(target, (await backend.SingleConnectionAsync(ct)).Target);
        Assert.Equal(target, session.GetProperty("uri").GetString());
    }

    [Fact]
    public async Task SessionList_NoSessions_EmptyArray()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.GetAsync("/session/list", ct);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("[]", reply.Body);
    }

    /// <summary>
    /// The balancer counts a message sent once its write to the client completes, which may be just after the client
    /// has read it; the list is re-read (briefly, bounded) until the sending side has caught up.
    /// </summary>
    private static async Task<JsonElement> WaitForSessionAsync(TestBalancer balancer, Func<JsonElement, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            var session = Assert.Single((await balancer.GetJsonAsync("/session/list", timeout.Token)).EnumerateArray());
            if (condition(session))
            {
                return session;
            }

            await Task.Delay(10, timeout.Token);
        }
    }
}

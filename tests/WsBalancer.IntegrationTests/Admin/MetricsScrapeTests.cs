using System.Net;
using System.Net.WebSockets;
using Bogus;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>GET /metrics on the admin listener, scraped after real traffic, failovers and failed dials.</summary>
public sealed class MetricsScrapeTests
{
    private const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Faker _faker = new();

    [Fact]
    public async Task Metrics_AfterSessionsFailoverAndDialFailure_CountsMatchTraffic()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        var (b1, b2) = (backends.All[0], backends.All[1]);
        b2.DeclineStatus = 503; // every dial to b2 fails as unavailable; b1 takes every session
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var frontend = (await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("id").GetString()!;
        var clients = new List<ClientWebSocket>();
        for (var i = 0; i < 3; i++)
        {
            var client = await balancer.ConnectAsync($"/{_faker.Random.AlphaNumeric(6)}", ct);
            for (var echo = _faker.Random.Int(1, 4); echo > 0; echo--)
            {
                await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
            }

            clients.Add(client);
        }

        // One session's backend fails: it is re-dialed (b2 refuses, so b1 again), and the client stays.
        await b1.Connections[0].CloseAsync(WebSocketCloseStatus.InternalServerError, "backend failure");
        await b1.WaitForConnectionsAsync(4, ct);
        foreach (var client in clients)
        {
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        var live = await ScrapeAsync(balancer, ct);

        Assert.Equal(3, live.Value("wsbalancer_new_session", ("backend", "b1"), ("frontend", frontend)));
        Assert.Null(live.ValueOrNull("wsbalancer_new_session", ("backend", "b2")));
        Assert.Equal(3, live.Value("wsbalancer_active_sessions"));
        Assert.Equal(1, live.Value("wsbalancer_failovers_total", ("from_backend", "b1"), ("reason", "abnormal")));
        Assert.Empty(live.Find("wsbalancer_failovers_total", ("reason", "administrative")));
        Assert.InRange(live.Value("wsbalancer_dial_failures_total", ("backend", "b2"), ("reason", "unavailable")), 1, 4);
        Assert.Empty(live.Find("wsbalancer_dial_failures_total", ("backend", "b1")));
        Assert.Equal(0, live.Value("wsbalancer_backend_breaker_state", ("backend", "b1")));
        Assert.Equal(0, live.Value("wsbalancer_pending_messages"));
        Assert.DoesNotContain(live.Find("wsbalancer_session_duration_seconds_count"), s => s.Value > 0);

        foreach (var client in clients)
        {
            using var timeout = Timeouts.Linked(ct);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }

        await balancer.WaitForSessionsAsync(0, ct);
        // A session's duration is recorded as the very last step of its end, just after it leaves the session list.
        var ended = await ScrapeUntilAsync(balancer, m => m.ValueOrNull("wsbalancer_session_duration_seconds_count") == 3, ct);

        Assert.Equal(0, ended.Value("wsbalancer_active_sessions"));
        Assert.Equal(3, ended.Value("wsbalancer_session_duration_seconds_bucket", ("le", "+Inf")));
        Assert.InRange(ended.Value("wsbalancer_session_duration_seconds_sum"), 0, 3 * Timeouts.Default.TotalSeconds);
        Assert.Equal(3, ended.Value("wsbalancer_new_session", ("backend", "b1"), ("frontend", frontend)));
        Assert.Empty(ended.Find("wsbalancer_message_size_bucket")); // instrumentation is off by default
        Assert.Empty(ended.Find("wsbalancer_message_size_count"));
    }

    [Fact]
    public async Task Metrics_AdministrativeFailover_CountedAsAdministrative()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        var session = (await balancer.GetJsonAsync("/session/list", ct))[0];
        var from = session.GetProperty("backendId").GetString()!;

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync($"/session/failover/{session.GetProperty("id").GetString()}", ct)).Body);
        await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        var metrics = await ScrapeAsync(balancer, ct);

        Assert.Equal(1, metrics.Value("wsbalancer_failovers_total", ("from_backend", from), ("reason", "administrative")));
        Assert.Empty(metrics.Find("wsbalancer_failovers_total", ("reason", "abnormal")));
        Assert.Equal(1, metrics.Find("wsbalancer_new_session").Sum(s => s.Value)); // a move is not a new session
    }

    [Fact]
    public async Task Metrics_InstrumentationOn_MessageSizesPerDirection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { EnableInstrumentation = true });
        var client = await balancer.ConnectAsync("/", ct);
        var small = _faker.Random.Int(2, 5);
        for (var i = 0; i < small; i++)
        {
            await client.AssertEchoAsync(_faker.Random.AlphaNumeric(_faker.Random.Int(1, 128)), ct);
        }

        await client.AssertEchoAsync(_faker.Random.AlphaNumeric(300), ct);
        await client.AssertEchoAsync(_faker.Random.AlphaNumeric(6000), ct);

        var metrics = await ScrapeAsync(balancer, ct);

        foreach (var direction in new[] { "f2b", "b2f" })
        {
            Assert.Equal(small, metrics.Value("wsbalancer_message_size_bucket", ("direction", direction), ("le", "128")));
            Assert.Equal(small, metrics.Value("wsbalancer_message_size_bucket", ("direction", direction), ("le", "256")));
            Assert.Equal(small + 1, metrics.Value("wsbalancer_message_size_bucket", ("direction", direction), ("le", "512")));
            Assert.Equal(small + 1, metrics.Value("wsbalancer_message_size_bucket", ("direction", direction), ("le", "5120")));
            Assert.Equal(small + 2, metrics.Value("wsbalancer_message_size_bucket", ("direction", direction), ("le", "+Inf")));
            Assert.Equal(small + 2, metrics.Value("wsbalancer_message_size_count", ("direction", direction)));
        }
    }

    [Fact]
    public async Task Metrics_InstrumentationOff_NoMessageSizeSamples()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { EnableInstrumentation = false });
        var client = await balancer.ConnectAsync("/", ct);
        for (var i = _faker.Random.Int(2, 5); i > 0; i--)
        {
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        var metrics = await ScrapeAsync(balancer, ct);

        Assert.DoesNotContain(metrics.Samples, s => s.Name.StartsWith("wsbalancer_message_size", StringComparison.Ordinal));
        Assert.Equal(1, metrics.Value("wsbalancer_active_sessions"));
    }

    [Fact]
    public async Task Metrics_BreakerOpen_GaugeIsTwo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, backend: b => b with { BreakerThreshold = 1 });
        backend.DeclineStatus = 503;
        Assert.Equal(502, await balancer.HandshakeStatusAsync("/", ct));

        var metrics = await ScrapeAsync(balancer, ct);

        Assert.Equal(2, metrics.Value("wsbalancer_backend_breaker_state", ("backend", "b1")));
        Assert.Equal(1, metrics.Value("wsbalancer_dial_failures_total", ("backend", "b1"), ("reason", "unavailable")));
    }

    private static async Task<AdminMetricsText> ScrapeAsync(TestBalancer balancer, CancellationToken cancellationToken)
    {
        var reply = await balancer.GetAsync("/metrics", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(ContentType, reply.ContentType);
        return AdminMetricsText.Parse(reply.Body);
    }

    private static async Task<AdminMetricsText> ScrapeUntilAsync(TestBalancer balancer, Func<AdminMetricsText, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            var metrics = await ScrapeAsync(balancer, timeout.Token);
            if (condition(metrics))
            {
                return metrics;
            }

            await Task.Delay(10, timeout.Token); // no event for "recorded": polled, bounded by the timeout
        }
    }
}

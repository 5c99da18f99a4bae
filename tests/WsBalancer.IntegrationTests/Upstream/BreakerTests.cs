using System.Net;
using System.Security.Cryptography;
using Bogus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Upstream;

namespace WsBalancer.IntegrationTests.Upstream;

/// <summary>
/// The breaker through the real dial path. Time is a <see cref="FakeTimeProvider"/> registered as the host's
/// TimeProvider, so the back-off only passes when a test advances it.
/// </summary>
public sealed class BreakerTests
{
    private const string Success = """{"result":"success"}""";
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    private readonly Faker _faker = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Breaker_ThresholdFailures_TripsAndStopsDialingUntilTrialCloses()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var flaky = await TestBackend.StartAsync("flaky", ct);
        await using var healthy = await TestBackend.StartAsync("healthy", ct);
        flaky.DeclineStatus = 503; // 5xx: unavailable, counts against the breaker
        await using var balancer = await StartAsync([flaky, healthy], threshold: 3, ct);

        // Six dials start alternately at each backend: three reach flaky and fail over to healthy.
        await OpenSessionsAsync(balancer, 6, ct);
        var tripped = await balancer.BackendAsync("flaky", ct);
        Assert.Equal(3, tripped.TotalFailures);
        Assert.True(tripped.Tripped);
        Assert.Equal("Open", tripped.BreakerState);

        await OpenSessionsAsync(balancer, 4, ct);
        Assert.Equal(3, (await balancer.BackendAsync("flaky", ct)).TotalFailures); // skipped, not dialed
        Assert.Equal(10, (await balancer.BackendAsync("healthy", ct)).TotalConnections);

        flaky.DeclineStatus = null; // a trial would now succeed, so an early trial would show as a connection
        _time.Advance(CircuitBreaker.InitialBackoff - Millisecond);
        await OpenSessionsAsync(balancer, 2, ct);
        Assert.Empty(flaky.Connections);
        Assert.True((await balancer.BackendAsync("flaky", ct)).Tripped);

        _time.Advance(Millisecond);
        await OpenSessionsAsync(balancer, 2, ct);
        await flaky.WaitForConnectionsAsync(1, ct);
        var closed = await balancer.BackendAsync("flaky", ct);
        Assert.False(closed.Tripped);
        Assert.Equal("Closed", closed.BreakerState);
        Assert.Equal(1, closed.TotalConnections);
        Assert.Equal(3, closed.TotalFailures);

        await OpenSessionsAsync(balancer, 2, ct);
        Assert.Equal(2, (await balancer.BackendAsync("flaky", ct)).TotalConnections); // back in the rotation
        Assert.Equal(14, (await balancer.BackendAsync("healthy", ct)).TotalConnections);
    }

    [Fact]
    public async Task Breaker_TrialFails_ReopensWithDoubledBackoff()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var flaky = await TestBackend.StartAsync("flaky", ct);
        await using var healthy = await TestBackend.StartAsync("healthy", ct);
        flaky.DeclineStatus = 503;
        await using var balancer = await StartAsync([flaky, healthy], threshold: 3, ct);
        await OpenSessionsAsync(balancer, 6, ct);
        Assert.True((await balancer.BackendAsync("flaky", ct)).Tripped);

        _time.Advance(CircuitBreaker.InitialBackoff);
        await OpenSessionsAsync(balancer, 2, ct);
        var reopened = await balancer.BackendAsync("flaky", ct);
        Assert.Equal(4, reopened.TotalFailures); // exactly one trial went through, and failed
        Assert.True(reopened.Tripped);
        Assert.Equal("Open", reopened.BreakerState);

        _time.Advance(TimeSpan.FromSeconds(2) - Millisecond);
        await OpenSessionsAsync(balancer, 2, ct);
        Assert.Equal(4, (await balancer.BackendAsync("flaky", ct)).TotalFailures); // 1 s no longer suffices

        _time.Advance(Millisecond);
        await OpenSessionsAsync(balancer, 2, ct);
        Assert.Equal(5, (await balancer.BackendAsync("flaky", ct)).TotalFailures);
        Assert.Equal(12, (await balancer.BackendAsync("healthy", ct)).TotalConnections);
    }

    [Fact]
    public async Task ResetBackend_Tripped_ClosesBreakerAndNextDialReachesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.DeclineStatus = 503;
        await using var balancer = await StartAsync([backend], threshold: 3, ct);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(502, await balancer.HandshakeStatusAsync(Path(), ct));
        }

        Assert.True((await balancer.BackendAsync("b1", ct)).Tripped);
        backend.DeclineStatus = null;
        Assert.Equal(502, await balancer.HandshakeStatusAsync(Path(), ct)); // refused by the open breaker, not dialed
        Assert.Empty(backend.Connections);
        Assert.Equal(3, (await balancer.BackendAsync("b1", ct)).TotalFailures);

        var reset = await balancer.PostAsync("/backend/reset/b1", ct);

        Assert.Equal(Success, reset.GetRawText());
        var row = await balancer.BackendAsync("b1", ct);
        Assert.False(row.Tripped);
        Assert.Equal("Closed", row.BreakerState);
        var client = await balancer.ConnectAsync(Path(), ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await backend.WaitForConnectionsAsync(1, ct);
        Assert.Equal(1, (await balancer.BackendAsync("b1", ct)).TotalConnections);
    }

    [Fact]
    public async Task Breaker_ThresholdZero_TwentyFailuresNeverTrip()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.DeclineStatus = 503;
        await using var balancer = await StartAsync([backend], threshold: 0, ct);

        for (var dial = 1; dial <= 20; dial++)
        {
            Assert.Equal(502, await balancer.HandshakeStatusAsync(Path(), ct));
            var row = await balancer.BackendAsync("b1", ct);
            Assert.Equal(dial, row.TotalFailures); // dialed every time
            Assert.False(row.Tripped);
            Assert.Equal("Closed", row.BreakerState);
        }

        backend.DeclineStatus = null;
        var client = await balancer.ConnectAsync(Path(), ct);
        await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
    }

    /// <summary>
    /// A half-open trial taken by a dial that then ends in neither verdict must be handed back (the breaker's
    /// <c>Abandon</c>), or the backend is never dialed again until an operator resets it. Here the trial is taken by a
    /// client whose handshake offers the same subprotocol twice: the dialer cannot even build that request.
    /// </summary>
    [Fact]
    public async Task Breaker_HalfOpenTrialTakenByUnbuildableDial_NextClientGetsTrial()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.DeclineStatus = 503;
        await using var balancer = await StartAsync([backend], threshold: 3, ct);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(502, await balancer.HandshakeStatusAsync(Path(), ct));
        }

        backend.DeclineStatus = null;
        _time.Advance(CircuitBreaker.InitialBackoff);
        var odd = await RawHandshakeStatusAsync(balancer, Path(), "chat, chat", ct);
        Assert.NotEqual(HttpStatusCode.SwitchingProtocols, odd);
        _time.Advance(CircuitBreaker.MaxBackoff); // whatever the breaker decided, any back-off is over now

        var client = await balancer.ConnectAsync(Path(), ct);
        await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        Assert.False((await balancer.BackendAsync("b1", ct)).Tripped);
    }

    /// <summary>A WebSocket upgrade sent with HttpClient, so that headers ClientWebSocket refuses to send can be sent.</summary>
    private static async Task<HttpStatusCode> RawHandshakeStatusAsync(TestBalancer balancer, string pathAndQuery, string subprotocols, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeouts.Default };
        var uri = new UriBuilder(new Uri(balancer.FrontendUri, pathAndQuery)) { Scheme = Uri.UriSchemeHttp }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", subprotocols);
        using var timeout = Timeouts.Linked(cancellationToken);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        return response.StatusCode;
    }

    private Task<TestBalancer> StartAsync(TestBackend[] backends, int threshold, CancellationToken cancellationToken) =>
        TestBalancer.StartAsync(
            backends,
            cancellationToken,
            backend: b => b with { BreakerThreshold = threshold },
            services: sc => sc.AddSingleton<TimeProvider>(_time));

    /// <summary>Opens <paramref name="count"/> sessions one after another; each must work end to end.</summary>
    private async Task OpenSessionsAsync(TestBalancer balancer, int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            var client = await balancer.ConnectAsync(Path(), cancellationToken);
            await client.AssertEchoAsync(_faker.Lorem.Word(), cancellationToken);
        }
    }

    private string Path() => $"/{_faker.Random.AlphaNumeric(8)}";
}

using System.Diagnostics;
using System.Net;
using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>
/// Repeated wrong admin tokens from one remote address: after <c>server.admin.auth-failure-limit</c> of them within
/// <c>auth-failure-window</c> that address gets 429 with Retry-After, even with the right token, until the window
/// passes; other addresses are not affected. The clients connect from distinct loopback addresses (127.0.0.x).
/// </summary>
public sealed class AdminAuthFailureTests
{
    private const int AuthFailureLimitReachedEvent = 1704;
    private const int AuthFailureAddressesFullEvent = 1705;

    private static readonly IPAddress Operator = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress Guesser = IPAddress.Parse("127.0.0.2");

    private readonly Faker _faker = new();
    private readonly string _token;

    public AdminAuthFailureTests() => _token = _faker.Random.AlphaNumeric(32);

    private string RightToken => AdminHttp.Bearer(_token);

    [Fact]
    public async Task WrongTokens_OverLimit_429WithRetryAfterEvenWithRightTokenOtherAddressUnaffected()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await StartAsync(limit: 3, window: TimeSpan.FromMinutes(1), ct);
        using var guesser = new AdminClient(harness.AdminUri, Guesser);
        using var operatorClient = new AdminClient(harness.AdminUri, Operator);

        var guesses = await StatusesAsync(guesser, 3, WrongToken, ct);
        var rightAfterGuesses = await guesser.GetAsync("/backend/list", ct, RightToken);
        var action = await guesser.SendAsync(HttpMethod.Post, "/backend/disable/b1", ct, authorization: RightToken);
        var noToken = await guesser.GetAsync("/session/list", ct);
        var health = await guesser.GetAsync("/health", ct);
        var page = await guesser.GetAsync("/", ct);
        var operatorRight = await operatorClient.GetAsync("/backend/list", ct, RightToken);
        var operatorWrong = await operatorClient.GetAsync("/backend/list", ct, WrongToken());

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], guesses);
        foreach (var refused in new[] { rightAfterGuesses, action, noToken })
        {
            AdminHarness.AssertFailed(refused, HttpStatusCode.TooManyRequests, "TooManyAuthFailures");
            Assert.Equal("""{"result":"failed","reason":"TooManyAuthFailures"}""", refused.Body);
            var retryAfter = int.Parse(refused.Headers["Retry-After"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60); // never more than the window
        }

        Assert.Equal(HttpStatusCode.OK, health.Status); // liveness and the page's files never need the token
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(HttpStatusCode.OK, operatorRight.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, operatorWrong.Status); // one failure of its own: far from its limit
        var warning = Assert.Single(harness.Log.WithEventId(AuthFailureLimitReachedEvent));
        Assert.Contains("127.0.0.2", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_token, string.Join('\n', harness.Log.Lines), StringComparison.Ordinal);
        await harness.AssertUnharmedAsync(ct); // the refused disable did nothing
    }

    [Fact]
    public async Task RightTokensAndMissingTokens_NeverCount()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await StartAsync(limit: 2, window: TimeSpan.FromMinutes(1), ct);
        using var client = new AdminClient(harness.AdminUri, Guesser);

        var right = await StatusesAsync(client, 20, () => RightToken, ct);
        var none = await StatusesAsync(client, 20, () => null, ct); // a page not signed in yet: not a guess
        var wrong = await StatusesAsync(client, 2, WrongToken, ct);
        var then = await client.GetAsync("/backend/list", ct, RightToken);

        Assert.All(right, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(none, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], wrong);
        Assert.Equal(HttpStatusCode.TooManyRequests, then.Status);
    }

    [Fact]
    public async Task WindowPasses_AddressRecoversAndIsCountedAfresh()
    {
        var ct = TestContext.Current.CancellationToken;
        var window = TimeSpan.FromSeconds(2); // short, but long enough that three quick requests stay in one window
        await using var harness = await StartAsync(limit: 2, window, ct);
        using var client = new AdminClient(harness.AdminUri, Guesser);
        await StatusesAsync(client, 2, WrongToken, ct);

        var blocked = await client.GetAsync("/backend/list", ct, RightToken);
        var waited = Stopwatch.StartNew();
        var recovered = await PollUntilAsync(client, HttpStatusCode.OK, ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.Status);
        Assert.Equal("2", blocked.Headers["Retry-After"]);
        Assert.True(waited.Elapsed < TimeSpan.FromSeconds(6), $"recovered after {waited.Elapsed}, the window is {window}");
        Assert.Equal(HttpStatusCode.OK, recovered.Status);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], await StatusesAsync(client, 2, WrongToken, ct));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/backend/list", ct, RightToken)).Status);
    }

    [Fact]
    public async Task TrackedAddressesFull_FurtherAddressesShareOneCountTrackedOnesKeepTheirOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await StartAsync(limit: 2, window: TimeSpan.FromMinutes(1), ct, addresses: 1);
        using var tracked = new AdminClient(harness.AdminUri, Guesser);
        using var second = new AdminClient(harness.AdminUri, IPAddress.Parse("127.0.0.3"));
        using var third = new AdminClient(harness.AdminUri, IPAddress.Parse("127.0.0.4"));

        var trackedGuess = await tracked.GetAsync("/backend/list", ct, WrongToken()); // fills the table (1 address): 1 of 2 used
        var secondGuesses = await StatusesAsync(second, 2, WrongToken, ct); // the table is full: counted in the shared count
        var secondThen = await second.GetAsync("/backend/list", ct, RightToken);
        var thirdRight = await third.GetAsync("/backend/list", ct, RightToken);
        var trackedRight = await tracked.GetAsync("/backend/list", ct, RightToken);

        Assert.Equal(HttpStatusCode.Unauthorized, trackedGuess.Status);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], secondGuesses);
        Assert.Equal(HttpStatusCode.TooManyRequests, secondThen.Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, thirdRight.Status); // the price of the bound, while the shared count is used up
        Assert.Equal(HttpStatusCode.OK, trackedRight.Status); // its own count still has one left
        var full = Assert.Single(harness.Log.WithEventId(AuthFailureAddressesFullEvent)); // once per window, not per request
        Assert.Contains("127.0.0.3", full.Message, StringComparison.Ordinal);
        Assert.Contains("server.admin.auth-failure-addresses", full.Message, StringComparison.Ordinal);
        Assert.Contains("untracked addresses", Assert.Single(harness.Log.WithEventId(AuthFailureLimitReachedEvent)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LimitZero_Off_EveryWrongToken401()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await StartAsync(limit: 0, window: TimeSpan.FromMinutes(1), ct);
        using var client = new AdminClient(harness.AdminUri, Guesser);

        var statuses = await StatusesAsync(client, 30, WrongToken, ct);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/backend/list", ct, RightToken)).Status);
    }

    private Task<AdminHarness> StartAsync(int limit, TimeSpan window, CancellationToken cancellationToken, int addresses = 10_000) =>
        AdminHarness.StartAsync(
            cancellationToken,
            server: s => s with
            {
                AdminToken = _token,
                AdminAuthFailureLimit = limit,
                AdminAuthFailureWindow = window,
                AdminAuthFailureAddresses = addresses,
            },
            authorization: RightToken);

    private string WrongToken() => AdminHttp.Bearer(_faker.Random.AlphaNumeric(32));

    /// <summary>The statuses of <paramref name="times"/> GET /backend/list, one after another, each with a fresh Authorization.</summary>
    private static async Task<List<HttpStatusCode>> StatusesAsync(AdminClient client, int times, Func<string?> authorization, CancellationToken cancellationToken)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < times; i++)
        {
            statuses.Add((await client.GetAsync("/backend/list", cancellationToken, authorization())).Status);
        }

        return statuses;
    }

    /// <summary>Asks with the right token until the answer is <paramref name="status"/>; bounded by the default timeout.</summary>
    private async Task<AdminReply> PollUntilAsync(AdminClient client, HttpStatusCode status, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            var reply = await client.GetAsync("/backend/list", timeout.Token, RightToken);
            if (reply.Status == status)
            {
                return reply;
            }

            await Task.Delay(50, timeout.Token); // the window is time, not an event: polled, bounded by the timeout
        }
    }
}

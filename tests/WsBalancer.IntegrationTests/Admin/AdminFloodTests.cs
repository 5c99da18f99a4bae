using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Bogus;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>
/// A bounded flood of admin requests (good, bad and unauthorized, several connections at once, as fast as they go)
/// while an echo session runs through the balancer: the session keeps echoing throughout, every request gets its
/// clear answer, and the process stays healthy.
/// </summary>
public sealed class AdminFloodTests
{
    private static readonly TimeSpan FloodTime = TimeSpan.FromSeconds(3);

    // Generous for a loaded 2-core test machine; an echo on an idle one takes well under a millisecond.
    private static readonly TimeSpan EchoBound = TimeSpan.FromSeconds(5);

    private readonly Faker _faker = new();

    [Fact]
    public async Task AdminFlood_EchoSessionKeepsWorkingEveryRequestAnsweredProcessHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var secret = _faker.Random.AlphaNumeric(32);
        var token = AdminHttp.Bearer(secret);
        await using var harness = await AdminHarness.StartAsync(ct, server: s => s with { AdminToken = secret }, authorization: token);
        FloodRequest[] requests =
        [
            new("list", HttpMethod.Get, "/backend/list", null, token, [HttpStatusCode.OK]),
            new("sessions", HttpMethod.Get, "/session/list?limit=10", null, token, [HttpStatusCode.OK]),
            new("stats", HttpMethod.Get, "/stats", null, token, [HttpStatusCode.OK]),
            new("health", HttpMethod.Get, "/health", null, null, [HttpStatusCode.OK]),
            new("bad json", HttpMethod.Post, "/backend/add", "[]", token, [HttpStatusCode.BadRequest]),
            new("bad field", HttpMethod.Post, "/backend/add", """{"url":"ws://x:9","ping-time":5}""", token, [HttpStatusCode.BadRequest]),
            new("unknown id", HttpMethod.Post, "/backend/disable/nope", null, token, [HttpStatusCode.NotFound]),
            new("unknown path", HttpMethod.Get, "/backend/../no/such", null, token, [HttpStatusCode.NotFound]),
            new("no token", HttpMethod.Get, "/backend/list", null, null, [HttpStatusCode.Unauthorized]),
        ];
        FloodRequest[] guesses = [new("wrong token", HttpMethod.Get, "/backend/list", null, AdminHttp.Bearer(_faker.Random.AlphaNumeric(32)), [HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests])];
        var answers = new ConcurrentDictionary<(string Request, HttpStatusCode Status), int>();
        using var flood = CancellationTokenSource.CreateLinkedTokenSource(ct);
        flood.CancelAfter(FloodTime);

        var echo = EchoUntilAsync(harness, flood.Token, ct);
        var workers = new List<Task<int>>();
        for (var i = 0; i < 3; i++)
        {
            workers.Add(FloodAsync(harness.AdminUri, IPAddress.Loopback, requests, i, answers, flood.Token, ct));
        }

        workers.Add(FloodAsync(harness.AdminUri, IPAddress.Parse("127.0.0.2"), guesses, 0, answers, flood.Token, ct));
        var sent = (await Task.WhenAll(workers)).Sum();
        var (echoes, slowest) = await echo;
        TestContext.Current.TestOutputHelper?.WriteLine($"{sent} admin requests in {FloodTime}, {echoes} echoes meanwhile, slowest {slowest.TotalMilliseconds:F1} ms");

        var unexpected = answers.Where(a => !requests.Concat(guesses).Single(r => r.Name == a.Key.Request).Expected.Contains(a.Key.Status)).ToList();
        Assert.True(unexpected.Count == 0, string.Join(", ", unexpected.Select(a => $"{a.Key.Request}: {(int)a.Key.Status} x{a.Value}")));
        Assert.True(sent >= 100, $"only {sent} admin requests in {FloodTime}");
        Assert.True(answers.ContainsKey(("wrong token", HttpStatusCode.TooManyRequests)), "the guessing address was never slowed down");
        Assert.True(echoes >= 10, $"only {echoes} echoes during the flood");
        Assert.True(slowest < EchoBound, $"slowest echo took {slowest}");
        await harness.AssertUnharmedAsync(ct);
        var fresh = await harness.Balancer.ConnectAsync("/after-flood", ct);
        await fresh.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    /// <summary>Sends <paramref name="requests"/> round-robin on one connection until <paramref name="stop"/>; returns how many.</summary>
    private static async Task<int> FloodAsync(
        Uri adminUri,
        IPAddress from,
        FloodRequest[] requests,
        int offset,
        ConcurrentDictionary<(string Request, HttpStatusCode Status), int> answers,
        CancellationToken stop,
        CancellationToken cancellationToken)
    {
        using var client = new AdminClient(adminUri, from);
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            var request = requests[(sent + offset) % requests.Length];
            using var content = request.Body is null ? null : AdminHttp.JsonBody(request.Body);
            var reply = await client.SendAsync(request.Method, request.Path, cancellationToken, content, request.Authorization);
            answers.AddOrUpdate((request.Name, reply.Status), 1, (_, n) => n + 1);
            sent++;
        }

        return sent;
    }

    /// <summary>Echoes numbered messages on the harness's session until <paramref name="stop"/>; each must come back, in order, in time.</summary>
    private static async Task<(int Echoes, TimeSpan Slowest)> EchoUntilAsync(AdminHarness harness, CancellationToken stop, CancellationToken cancellationToken)
    {
        var echoes = 0;
        var slowest = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            await harness.Session.AssertEchoAsync($"echo {echoes}", cancellationToken);
            var took = Stopwatch.GetElapsedTime(started);
            slowest = took > slowest ? took : slowest;
            echoes++;
            await Task.Delay(10, cancellationToken); // a steady trickle, like a live client, not a second flood
        }

        return (echoes, slowest);
    }

    private sealed record FloodRequest(string Name, HttpMethod Method, string Path, string? Body, string? Authorization, HttpStatusCode[] Expected);
}

using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Bogus;

namespace WsBalancer.IntegrationTests.Process;

/// <summary>
/// SIGTERM to the real executable (<c>server.drain-timeout</c>): new sessions are refused and <c>/ready</c> says so at
/// once, live sessions may end by themselves (the process then exits at once), those that stay get 1001 at the
/// timeout, a second SIGTERM ends the drain; the exit code is 0 every time. On both paths.
/// </summary>
public sealed class GracefulShutdownTests
{
    // Longer than any wait of a test, so a test that ends in time proves the drain did not wait for it.
    private const string LongDrain = "5m";

    private readonly Faker _faker = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sigterm_RefusesNewSessionsWhileTheOldOneEchoes_ItsCloseEndsTheDrainAndTheProcessExits0(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var host = StartBalancer(backend, frameRelay, LongDrain);
        var (frontend, admin) = await host.WaitForListeningAsync(ct);
        using var client = await ConnectAsync(frontend, ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await AssertPathAsync(admin, frameRelay, ct);

        await host.SignalAsync("TERM", ct);
        await host.WaitForLineAsync(line => line.Contains("draining 1 live session(s)", StringComparison.Ordinal), ct);

        var ready = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/ready", ct);
        var refused = await FrontendHttp.RefusedUpgradeAsync(frontend, "/" + _faker.Random.AlphaNumeric(6), ct);
        var list = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/backend/list", ct);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "shutting down"), (ready.Status, ready.Reason));
        Assert.Equal((503, "balancer is shutting down"), (refused.Status, refused.Reason));
        Assert.Equal("failed", refused.Body.GetProperty("result").GetString());
        Assert.Equal(HttpStatusCode.OK, list.Status); // the admin API is not refused
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        using (var timeout = Timeouts.Linked(ct))
        {
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }

        Assert.Equal(0, await host.WaitForExitAsync(ct)); // bounded far below the drain timeout
        Assert.Contains(host.StandardOutput, line => line.Contains("drained; 1 session(s) ended by themselves, 0 closed with 1001", StringComparison.Ordinal));
        Assert.Contains(host.StandardOutput, line => line.Contains("Stopped", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    [InlineData(false, 0)] // 0: closed at once
    [InlineData(true, 0)]
    public async Task Sigterm_SessionStays_ClosedWith1001AfterTheDrainTimeoutAndTheProcessExits0(bool frameRelay, int drainSeconds)
    {
        var ct = TestContext.Current.CancellationToken;
        var drain = TimeSpan.FromSeconds(drainSeconds);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var host = StartBalancer(backend, frameRelay, $"{drainSeconds}s");
        var (frontend, _) = await host.WaitForListeningAsync(ct);
        using var client = await ConnectAsync(frontend, ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        var closing = client.ReceiveMessageAsync(ct);
        var signalled = Stopwatch.StartNew();
        await host.SignalAsync("TERM", ct);
        var closed = await closing;
        var elapsed = signalled.Elapsed;

        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "balancer shutting down"), (closed.CloseStatus, closed.CloseReason));
        Assert.True(elapsed >= drain - TimeSpan.FromMilliseconds(200), $"closed after {elapsed}, before the drain timeout");
        Assert.Equal(0, await host.WaitForExitAsync(ct));
        await backend.Connections[0].Ended.WaitAsync(Timeouts.Default, ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, backend.Connections[0].CloseStatus);
        Assert.Contains(host.StandardOutput, line => line.Contains("drain timeout passed; closing 1 remaining session(s) with 1001", StringComparison.Ordinal));
        // The session closed on the drain's order, not only when the servers stopped after the drain's backstop.
        Assert.DoesNotContain(host.StandardOutput, line => line.Contains("still closing", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SecondSigterm_EndsTheDrainAtOnce_SessionClosedWith1001AndTheProcessExits0(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var host = StartBalancer(backend, frameRelay, LongDrain);
        var (frontend, _) = await host.WaitForListeningAsync(ct);
        using var client = await ConnectAsync(frontend, ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var closing = client.ReceiveMessageAsync(ct); // bounded far below the drain timeout

        await host.SignalAsync("TERM", ct);
        await host.WaitForLineAsync(line => line.Contains("draining 1 live session(s)", StringComparison.Ordinal), ct);
        Assert.False(closing.IsCompleted);
        await host.SignalAsync("TERM", ct);
        var closed = await closing;

        Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "balancer shutting down"), (closed.CloseStatus, closed.CloseReason));
        Assert.Equal(0, await host.WaitForExitAsync(ct));
        Assert.Contains(host.StandardOutput, line => line.Contains("second signal; closing 1 remaining session(s) with 1001", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sigterm_NoSession_ExitsAtOnceWith0()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var host = StartBalancer(backend, frameRelay: false, LongDrain);
        await host.WaitForListeningAsync(ct);

        await host.SignalAsync("TERM", ct);

        Assert.Equal(0, await host.WaitForExitAsync(ct));
        Assert.Contains(host.StandardOutput, line => line.Contains("drained; 0 session(s) ended by themselves, 0 closed with 1001", StringComparison.Ordinal));
    }

    private static HostProcess StartBalancer(TestBackend backend, bool frameRelay, string drainTimeout) => HostProcess.Start(
        [
            "--server:frontend:address=127.0.0.1:0",
            "--server:admin:address=127.0.0.1:0",
            "--data-dir", ":memory:",
            $"--server:frame-relay={(frameRelay ? "true" : "false")}",
        ],
        new Dictionary<string, string> { ["BE_URLS"] = backend.Url.OriginalString, ["DRAIN_TIMEOUT"] = drainTimeout });

    private static async Task<ClientWebSocket> ConnectAsync(Uri frontend, CancellationToken cancellationToken)
    {
        var client = new ClientWebSocket();
        try
        {
            using var timeout = Timeouts.Linked(cancellationToken);
            await client.ConnectAsync(new Uri(frontend, "/drain"), timeout.Token);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The session runs on the path the test means (the relay is opt-in).</summary>
    private static async Task AssertPathAsync(Uri admin, bool frameRelay, CancellationToken cancellationToken)
    {
        var sessions = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/session/list", cancellationToken);
        var session = Assert.Single(sessions.Json.EnumerateArray());
        Assert.Equal(frameRelay ? "relay" : "message", session.GetProperty("path").GetString());
    }
}

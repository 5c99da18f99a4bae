using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Bogus;
using Microsoft.Extensions.DependencyInjection;
using WsBalancer.Sdk;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>
/// <c>POST /backend/drain/{id}?rate=N</c>: a backend's sessions move to the others at N a second, make-before-break,
/// while each client streams numbered messages that must all come back once and in order, with no close. The drain
/// pauses when no other backend takes a session and resumes when one does; undrain stops it.
/// </summary>
public sealed class BackendDrainTests
{
    private const int Sessions = 30;

    private readonly Faker _faker = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Drain_ThirtySessionsAtTenPerSecond_PacedNoCloseNoLoss_NoNewSessionOnIt(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        var moves = new MoveRecorder();
        await using var backends = await TestBackends.StartAsync(3, ct);
        await using var balancer = await TestBalancer.StartAsync(
            backends, ct, server: s => s with { FrameRelay = frameRelay }, services: s => s.AddSingleton<ISessionListener>(moves));
        var streams = await ConnectOnlyToAsync(balancer, "b1", ["b2", "b3"], Sessions, ct);

        var started = Stopwatch.GetTimestamp();
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/drain/b1?rate=10", ct)).Body);

        // Mid-drain: some moved, some not yet, and every session accounted for.
        var mid = await WaitForDrainAsync(balancer, "b1", d => d.GetProperty("moved").GetInt32() >= 5 && d.GetProperty("remaining").GetInt32() >= 5, ct);
        Assert.Equal("running", mid.GetProperty("state").GetString());
        Assert.Equal(10, mid.GetProperty("rate").GetDouble());
        Assert.Equal(Sessions, mid.GetProperty("moved").GetInt32() + mid.GetProperty("remaining").GetInt32());

        // New clients while b1 drains: none lands on it.
        var newcomers = new List<ClientWebSocket>();
        for (var i = 0; i < 3; i++)
        {
            var client = await balancer.ConnectAsync($"/new{i}", ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
            newcomers.Add(client);
        }

        var done = await WaitForDrainAsync(balancer, "b1", d => d.GetProperty("state").GetString() == "drained", ct);
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal((Sessions, 0), (done.GetProperty("moved").GetInt32(), done.GetProperty("remaining").GetInt32()));
        Assert.DoesNotContain(balancer.Sessions.Sessions, s => s.BackendId == "b1");
        Assert.Equal(Sessions, backends.All[0].Connections.Count); // b1 took no connection after the first ones
        // Paced: 30 moves at 10 a second span 2.9 s; all at once would take a fraction of one.
        var spread = moves.SpreadOffB1();
        Assert.True(spread >= TimeSpan.FromSeconds(2.5), $"moves spread over {spread}, expected at least 2.5 s");
        Assert.True(elapsed < Timeouts.Default, $"drain took {elapsed}");
        await NumberedStream.StopAllAsync(streams, ct);

        Assert.All(newcomers, c => Assert.Equal(WebSocketState.Open, c.State));
        var metrics = await balancer.GetAsync("/metrics", ct);
        Assert.Contains("wsbalancer_drain_moved_sessions_total{backend=\"b1\"} 30", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("wsbalancer_drain_remaining_sessions{backend=\"b1\"} 0", metrics.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Drain_OnlyOtherBackendDown_PausesClosesNothing_ResumesWhenABackendIsAdded(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        var b2 = await TestBackend.StartAsync("b2", ct);
        await using var b3 = await TestBackend.StartAsync("b3", ct);
        await using var balancer = await TestBalancer.StartAsync([b1, b2], ct, server: s => s with { FrameRelay = frameRelay }, services: log.AddTo);
        var streams = await ConnectOnlyToAsync(balancer, "b1", ["b2"], 6, ct);
        await b2.DisposeAsync(); // the only target is down

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/drain/b1?rate=20", ct)).Body);
        var paused = await WaitForDrainAsync(balancer, "b1", d => d.GetProperty("state").GetString() == "paused", ct);

        Assert.Equal((0, 6), (paused.GetProperty("moved").GetInt32(), paused.GetProperty("remaining").GetInt32()));
        Assert.True(paused.GetProperty("failures").GetInt32() >= 3);
        await WaitForLogAsync(log, 1216, ct); // the state is published a moment before the warning is logged
        Assert.Single(log.WithEventId(1216)); // one warning per pause, not one per failed trial
        Assert.All(balancer.Sessions.Sessions, s => Assert.Equal("b1", s.BackendId));
        await NumberedStream.AssertAllFlowingAsync(streams, ct); // still served by b1, never closed

        var added = await balancer.AddBackendAsync($$"""{"url":"{{b3.Url}}","id":"b3"}""", ct);
        Assert.Equal(AdminHttp.Success, added.Body);
        var done = await WaitForDrainAsync(balancer, "b1", d => d.GetProperty("state").GetString() == "drained", ct);

        Assert.Equal((6, 0), (done.GetProperty("moved").GetInt32(), done.GetProperty("remaining").GetInt32()));
        Assert.All(balancer.Sessions.Sessions, s => Assert.Equal("b3", s.BackendId));
        await WaitForLogAsync(log, 1217, ct);
        Assert.Single(log.WithEventId(1217));
        await NumberedStream.StopAllAsync(streams, ct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Undrain_MidDrain_RemainingStayAndEcho_BackendTakesNewSessionsAgain(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct, server: s => s with { FrameRelay = frameRelay });
        var streams = await ConnectOnlyToAsync(balancer, "b1", ["b2"], 10, ct);

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/drain/b1?rate=2", ct)).Body);
        await WaitForDrainAsync(balancer, "b1", d => d.GetProperty("moved").GetInt32() >= 2, ct);
        var undrained = await balancer.PostRawAsync("/backend/undrain/b1", ct);
        var again = await balancer.PostRawAsync("/backend/undrain/b1", ct);

        Assert.Equal(AdminHttp.Success, undrained.Body);
        Assert.Equal(AdminHttp.NoActionRequired, again.Body);
        var row = await BackendRowAsync(balancer, "b1", ct);
        Assert.False(row.TryGetProperty("draining", out _));
        var left = balancer.Sessions.Sessions.Count(s => s.BackendId == "b1");
        Assert.InRange(left, 1, 8); // a move already under way at the undrain may still finish
        await NumberedStream.AssertAllFlowingAsync(streams, ct);

        // Nothing moves any more, and b1 is in the rotation again: of two new clients, one lands on it.
        var before = backends.All[0].Connections.Count;
        for (var i = 0; i < 2; i++)
        {
            var client = await balancer.ConnectAsync($"/after{i}", ct);
            await client.AssertEchoAsync("hello", ct);
        }

        Assert.Equal(before + 1, backends.All[0].Connections.Count);
        Assert.Equal(left, balancer.Sessions.Sessions.Count(s => s.BackendId == "b1" && s.RequestTarget.StartsWith("/s", StringComparison.Ordinal)));
        await NumberedStream.StopAllAsync(streams, ct);
    }

    [Fact]
    public async Task Drain_NoSessions_NoActionRequired_ButTakesNoNewSessionUntilUndrained()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);

        var drained = await balancer.PostRawAsync("/backend/drain/b1", ct);
        var row = await BackendRowAsync(balancer, "b1", ct);
        var clients = new List<ClientWebSocket>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await balancer.ConnectAsync($"/c{i}", ct));
        }

        Assert.Equal(AdminHttp.NoActionRequired, drained.Body);
        var draining = row.GetProperty("draining");
        Assert.Equal(DrainRateDefault, draining.GetProperty("rate").GetDouble()); // the default when no rate is given
        Assert.Equal("drained", (await BackendRowAsync(balancer, "b1", ct)).GetProperty("draining").GetProperty("state").GetString());
        Assert.Empty(backends.All[0].Connections);
        Assert.Equal(AdminHttp.NoActionRequired, (await balancer.PostRawAsync("/backend/drain/b1", ct)).Body);

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/undrain/b1", ct)).Body);
        await (await balancer.ConnectAsync("/back", ct)).AssertEchoAsync("x", ct);
        await (await balancer.ConnectAsync("/back2", ct)).AssertEchoAsync("x", ct);
        Assert.Single(backends.All[0].Connections);
    }

    [Fact]
    public async Task Drain_Again_WhileDraining_ChangesTheRate()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var streams = await ConnectOnlyToAsync(balancer, "b1", ["b2"], 6, ct);

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/drain/b1?rate=0.5", ct)).Body);
        Assert.Equal(0.5, (await BackendRowAsync(balancer, "b1", ct)).GetProperty("draining").GetProperty("rate").GetDouble());
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/drain/b1?rate=50", ct)).Body);

        // At 0.5 a second the six would take 10 s; at 50 the rest follow within the next interval or so.
        var done = await WaitForDrainAsync(balancer, "b1", d => d.GetProperty("state").GetString() == "drained", ct, TimeSpan.FromSeconds(6));
        Assert.Equal(50, done.GetProperty("rate").GetDouble());
        await NumberedStream.StopAllAsync(streams, ct);
    }

    [Fact]
    public async Task Delete_DrainingBackend_EndsTheDrain_SessionsMovedAsForAnyDelete()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct, services: log.AddTo);
        var streams = await ConnectOnlyToAsync(balancer, "b1", ["b2"], 6, ct);
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/drain/b1?rate=1", ct)).Body);

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/delete/b1", ct)).Body);

        Assert.All(balancer.Sessions.Sessions, s => Assert.Equal("b2", s.BackendId));
        Assert.Equal(HttpStatusCode.NotFound, (await balancer.PostRawAsync("/backend/undrain/b1", ct)).Status);
        await WaitForLogAsync(log, 1219, ct); // stopped by the delete, not left to find the backend empty
        Assert.Empty(log.WithEventId(1218));
        await NumberedStream.StopAllAsync(streams, ct);
    }

    [Fact]
    public async Task Shutdown_WhileDraining_StopsTheDrain()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct, services: log.AddTo);
        await ConnectOnlyToAsync(balancer, "b1", ["b2"], 6, ct);
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/drain/b1?rate=0.5", ct)).Body);
        await WaitForDrainAsync(balancer, "b1", d => d.GetProperty("moved").GetInt32() >= 1, ct);

        await balancer.StopAsync(ct);

        var stopped = await WaitForLogAsync(log, 1219, ct);
        Assert.Contains("session(s) stay on it", stopped.Message, StringComparison.Ordinal);
        Assert.Empty(log.WithEventId(1218));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1e999")]
    [InlineData("NaN")]
    [InlineData("")]
    [InlineData("1001")]
    [InlineData("1,5")]
    public async Task Drain_BadRate_400NamingRate_NothingChanged(string rate)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        var client = await balancer.ConnectAsync("/keep", ct);
        await client.AssertEchoAsync("before", ct);

        var reply = await balancer.PostRawAsync($"/backend/drain/b1?rate={Uri.EscapeDataString(rate)}", ct);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.StartsWith($"rate '{rate}' must be a number of sessions per second above 0 and at most 1000", reply.Reason, StringComparison.Ordinal);
        Assert.All((await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray(), b => Assert.False(b.TryGetProperty("draining", out _)));
        await client.AssertEchoAsync("after", ct);
    }

    [Fact]
    public async Task Drain_RateTwice_400()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var reply = await balancer.PostRawAsync("/backend/drain/b1?rate=1&rate=2", ct);

        Assert.Equal((HttpStatusCode.BadRequest, "rate given 2 times; give it once"), (reply.Status, reply.Reason));
    }

    [Theory]
    [InlineData("/backend/drain/")]
    [InlineData("/backend/undrain/")]
    public async Task DrainActions_UnknownId404_Get405(string action)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var id = _faker.Random.AlphaNumeric(8);

        var unknown = await balancer.PostRawAsync(action + id, ct);
        var get = await balancer.GetAsync(action + "b1", ct);

        Assert.Equal((HttpStatusCode.NotFound, $"unknown backend id '{id}'"), (unknown.Status, unknown.Reason));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, AdminHttp.OnlyPostAllowed), (get.Status, get.Body));
    }

    private const double DrainRateDefault = 10;

    /// <summary>
    /// Opens <paramref name="count"/> numbered streams that all land on <paramref name="target"/>: the other backends
    /// are disabled while they connect, then enabled again.
    /// </summary>
    private static async Task<List<NumberedStream>> ConnectOnlyToAsync(TestBalancer balancer, string target, string[] others, int count, CancellationToken ct)
    {
        foreach (var other in others)
        {
            Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync($"/backend/disable/{other}", ct)).Body);
        }

        var streams = new List<NumberedStream>();
        for (var i = 0; i < count; i++)
        {
            streams.Add(NumberedStream.Start(await balancer.ConnectAsync($"/s{i}", ct), ct));
        }

        await balancer.WaitForSessionsAsync(count, ct);
        Assert.All(balancer.Sessions.Sessions, s => Assert.Equal(target, s.BackendId));
        foreach (var other in others)
        {
            Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync($"/backend/enable/{other}", ct)).Body);
        }

        await NumberedStream.AssertAllFlowingAsync(streams, ct);

        return streams;
    }

    private static async Task<JsonElement> BackendRowAsync(TestBalancer balancer, string id, CancellationToken ct) =>
        (await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray().Single(b => b.GetProperty("id").GetString() == id);

    /// <summary>Polls <c>/backend/list</c> until the backend's <c>draining</c> object satisfies <paramref name="done"/>.</summary>
    private static async Task<JsonElement> WaitForDrainAsync(TestBalancer balancer, string id, Func<JsonElement, bool> done, CancellationToken ct, TimeSpan? limit = null)
    {
        using var timeout = Timeouts.Linked(ct, limit);
        while (true)
        {
            // Progress is shown by the list alone: no event to await, polled and bounded by the timeout.
            if ((await BackendRowAsync(balancer, id, timeout.Token)).TryGetProperty("draining", out var draining) && done(draining))
            {
                return draining.Clone();
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task<AdminLogLine> WaitForLogAsync(AdminLogCapture log, int eventId, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (true)
        {
            if (log.WithEventId(eventId).FirstOrDefault() is { } line)
            {
                return line;
            }

            await Task.Delay(10, timeout.Token); // the drain logs from its own loop: polled, bounded by the timeout
        }
    }

    /// <summary>When each session got a leg on a backend other than b1: the drain's moves, as listeners hear them.</summary>
    private sealed class MoveRecorder : ISessionListener
    {
        private readonly ConcurrentQueue<long> _moves = new();

        public void SessionCreated(ProxySession session)
        {
            if (session.Backend.BackendId != "b1" && session.Frontend.RequestUri.AbsolutePath.StartsWith("/s", StringComparison.Ordinal))
            {
                _moves.Enqueue(Stopwatch.GetTimestamp());
            }
        }

        public void SessionTerminated(ProxySession session)
        {
        }

        public TimeSpan SpreadOffB1()
        {
            var moves = _moves.ToArray();
            Assert.Equal(Sessions, moves.Length);
            return Stopwatch.GetElapsedTime(moves.Min(), moves.Max());
        }
    }

    /// <summary>
    /// A client that streams numbers 0, 1, 2, … with a few in flight, and checks that each echo is exactly the next
    /// number: a lost, duplicated or reordered message, or a close, fails it.
    /// </summary>
    private sealed class NumberedStream
    {
        private const int Window = 4;

        private readonly ClientWebSocket _client;
        private readonly SemaphoreSlim _window = new(Window);
        private readonly CancellationTokenSource _stop = new();
        private int _echoed;
        private int _sent;
        private Task _sender = Task.CompletedTask;
        private Task _receiver = Task.CompletedTask;

        private NumberedStream(ClientWebSocket client) => _client = client;

        public static NumberedStream Start(ClientWebSocket client, CancellationToken ct)
        {
            var stream = new NumberedStream(client);
            stream._receiver = Task.Run(() => stream.ReceiveAsync(ct), ct);
            stream._sender = Task.Run(() => stream.SendAsync(ct), ct);
            return stream;
        }

        public static async Task StopAllAsync(IEnumerable<NumberedStream> streams, CancellationToken ct)
        {
            foreach (var stream in streams)
            {
                await stream.StopAndAssertAllEchoedInOrderAsync(ct);
            }
        }

        public static async Task AssertAllFlowingAsync(IEnumerable<NumberedStream> streams, CancellationToken ct)
        {
            foreach (var stream in streams)
            {
                await stream.AssertFlowingAsync(ct);
            }
        }

        /// <summary>Waits until a few more echoes than now have come back.</summary>
        public async Task AssertFlowingAsync(CancellationToken ct)
        {
            var target = Volatile.Read(ref _echoed) + Window;
            using var timeout = Timeouts.Linked(ct);
            while (Volatile.Read(ref _echoed) < target)
            {
                Assert.False(_receiver.IsCompleted, "the stream ended");
                await Task.Delay(5, timeout.Token); // echoes are counted, not signalled: polled, bounded
            }
        }

        /// <summary>Stops sending, sends "end", and checks that every number sent came back once and in order.</summary>
        public async Task StopAndAssertAllEchoedInOrderAsync(CancellationToken ct)
        {
            await _stop.CancelAsync();
            await _sender.WaitAsync(Timeouts.Default, ct);
            await _client.SendTextAsync("end", ct);
            await _receiver.WaitAsync(Timeouts.Default, ct);
            Assert.Equal(_sent, _echoed);
            Assert.Equal(WebSocketState.Open, _client.State);
        }

        private async Task SendAsync(CancellationToken ct)
        {
            try
            {
                while (true)
                {
                    await _window.WaitAsync(_stop.Token);
                    await _client.SendTextAsync(_sent.ToString(CultureInfo.InvariantCulture), ct);
                    _sent++;
                    await Task.Delay(10, _stop.Token); // a steady trickle per client, not a wait for an event
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }

        private async Task ReceiveAsync(CancellationToken ct)
        {
            while (true)
            {
                var message = await _client.ReceiveMessageAsync(ct);
                Assert.Equal(WebSocketMessageType.Text, message.Type);
                if (message.Text == "end")
                {
                    return;
                }

                Assert.Equal(_echoed.ToString(CultureInfo.InvariantCulture), message.Text);
                Interlocked.Increment(ref _echoed);
                _window.Release();
            }
        }
    }
}

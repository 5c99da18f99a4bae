using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Bogus;
using WsBalancer.IntegrationTests.Plugins;
using WsBalancer.IntegrationTests.Scripting;

namespace WsBalancer.IntegrationTests.Soak;

/// <summary>
/// Everything that changes a session's backend, all at once and unpaced, for <c>WSB_STRESS_SECONDS</c> (default 20) over
/// <c>WSB_STRESS_SESSIONS</c> (default 150) sessions on both cores (plain ones on the frame relay, scripted ones on the
/// message path): sessions and backends failed over by several administrators at a time, a backend deleted (racing the
/// dials of moves and of new sessions) and added again, another disabled and enabled, the frontend paused and resumed
/// while sessions upgrade, a valve plugin and a script replaced while messages flow. No backend dies here, so nothing
/// may be lost: every session that stayed gets every echo, in order, once. Every admin request is answered within the
/// admin bound; no session is left on the deleted backend; at the end the session list, <c>/stats</c>, the metrics and
/// the backends' open sockets all count the same sessions, and nothing is left once the clients close.
/// </summary>
[Collection(nameof(SoakCollection))]
public sealed class ConcurrencyStressTests : IDisposable
{
    private const string ScriptName = "10-count.js";
    private const string Deleted = "b1"; // deleted and added again, over and over
    private const string Toggled = "b2"; // disabled and enabled; b3 is never touched, so a session can always move

    // How long an admin request may take under this load before it counts as never answered.
    private static readonly TimeSpan AdminBound = TimeSpan.FromSeconds(20);

    // How long the sessions of a deleted backend may take to move off it: a session dialing it when it was deleted
    // moves once it has that leg (at most a dial), one in a move's drain once the drain is over.
    private static readonly TimeSpan MovedOffBound = TimeSpan.FromSeconds(15);

    private readonly PluginSandbox _plugins = new();
    private readonly ScriptFolder _scripts = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentDictionary<string, int> _actions = new();
    private readonly ConcurrentDictionary<string, SequencedClient> _clients = new();
    private readonly ConcurrentBag<SequencedClient> _retired = [];
    private int _nextPath;
    private bool _pluginInstalled; // only its actor touches it

    [Fact]
    public async Task AdminActionsFailoversDeletesPausesAndReloadsTogether_InvariantsHold()
    {
        var ct = TestContext.Current.CancellationToken;
        var sessions = SoakSetting.Get("WSB_STRESS_SESSIONS", 150);
        var duration = TimeSpan.FromSeconds(SoakSetting.Get("WSB_STRESS_SECONDS", 20));
        _scripts.Write(ScriptName, Script(1));
        await using var backends = await TestBackends.StartAsync(3, ct);
        await using var balancer = await TestBalancer.StartAsync(
            backends.All, ct, plugins: _plugins.Settings, scripts: _scripts.Settings, server: s => s with { FrontendMaxSessionsPerAddress = 100_000 });
        await ScriptFolder.WaitForVersionAsync(balancer, ScriptName, 1, ct);
        var deletedUrl = backends.All.Single(b => b.Name == Deleted).Url.OriginalString;
        var frontendId = (await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("id").GetString()!;

        try
        {
            for (var i = 0; i < sessions; i++)
            {
                await ConnectAsync(balancer, ct);
            }

            await Bounded(balancer.WaitForSessionsAsync(sessions, ct), () => $"{balancer.Sessions.Count} of {sessions} sessions registered", ct);
            using var over = Timeouts.Linked(ct, duration);
            var talkers = _clients.Keys.Select(path => Task.Run(() => TalkAsync(path, over.Token, ct), ct)).ToList();
            var actors = new List<Task>
            {
                Task.Run(() => RepeatAsync(over.Token, () => MoveSessionAsync(balancer, ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => MoveSessionAsync(balancer, ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => MoveBackendAsync(balancer, ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => DeleteAndAddAsync(balancer, deletedUrl, ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => ToggleAsync(balancer, $"/backend/disable/{Toggled}", $"/backend/enable/{Toggled}", ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => ToggleAsync(balancer, $"/frontend/pause/{frontendId}", $"/frontend/resume/{frontendId}", ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => ChurnAsync(balancer, ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => ChurnAsync(balancer, ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => SwapPluginAsync(balancer, ct)), ct),
                Task.Run(() => RepeatAsync(over.Token, () => RewriteScriptAsync(balancer, ct)), ct),
            };
            await Task.WhenAll(actors);
            await Task.WhenAll(talkers);
            Assert.True(_problems.IsEmpty, string.Join("\n", _problems.Take(20)));

            // Quiet now: whatever is settled must agree.
            var stayed = _clients.Values.Where(c => c.IsOpen).ToList();
            foreach (var client in stayed)
            {
                var settled = await Bounded(client.SettleAsync(() => "settle", ct), () => $"{client.Path}: no echo of its last message ({client.Sent} sent, {client.Echoes.Length} echoed)", ct);
                Assert.True(settled, $"{client.Path}: closed while settling: {client.ClosedByBalancer}");
            }

            var all = _clients.Values.Concat(_retired).ToList();
            Assert.All(all, c => Assert.Null(c.Violation));
            Assert.All(stayed, c => Assert.True(c.Echoes.Length == c.Sent, $"{c.Path}: {c.Sent} sent, {c.Echoes.Length} echoed, with no backend down"));
            var ended = all.Where(c => c.ClosedByBalancer is not null).Select(c => $"{c.Path}: {c.ClosedByBalancer}").ToList();
            Assert.True(ended.Count == 0, $"{ended.Count} sessions ended by the balancer, with a backend always there to move to: {string.Join("; ", ended.Take(10))}");
            await AssertCountsAgreeAsync(balancer, backends, stayed, ct);

            await Bounded(Task.WhenAll(_clients.Values.Select(c => c.CloseAsync(ct))), () => "a client's close was not answered", ct);
            await Bounded(balancer.WaitForSessionsAsync(0, ct), () => $"{balancer.Sessions.Count} sessions left after every client closed", ct);
            await TestBackends.WaitForNoConnectionsAsync(balancer, backends.All, ct);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{sessions} sessions for {duration}: {all.Sum(c => c.Sent)} messages, all echoed; {stayed.Count} stayed; actions: "
                + string.Join(", ", _actions.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key} {a.Value}")));
        }
        finally
        {
            foreach (var client in _clients.Values.Concat(_retired))
            {
                await client.DisposeAsync();
            }

            _clients.Clear();
        }
    }

    /// <summary>
    /// The session list holds exactly the open clients, once each, none on a backend that is gone; <c>/stats</c> and
    /// the active-sessions metric count as many; each session has exactly one open socket on the backend the list
    /// names (a move's old leg closes within its drain, so that is awaited, bounded).
    /// </summary>
    private static async Task AssertCountsAgreeAsync(TestBalancer balancer, TestBackends backends, List<SequencedClient> stayed, CancellationToken ct)
    {
        // The deadline is checked between rounds, not passed to the requests: a round cut short would say nothing about
        // what disagreed.
        var deadline = DateTime.UtcNow + Timeouts.Default;
        var expected = stayed.Select(c => c.Path).Order(StringComparer.Ordinal).ToList();
        while (true)
        {
            var rows = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().ToList();
            var listed = rows.Select(r => r.GetProperty("uri").GetString()!).Order(StringComparer.Ordinal).ToList();
            var stats = (await balancer.GetJsonAsync("/stats", ct)).GetProperty("sessions").GetInt32();
            var metric = AdminMetricsText.Parse((await balancer.GetAsync("/metrics", ct)).Body).Value("wsbalancer_active_sessions");
            var sockets = backends.All.SelectMany(b => b.OpenConnections.Select(c => $"{c.Target}@{b.Name}")).Order(StringComparer.Ordinal).ToList();
            var placed = rows.Select(r => $"{r.GetProperty("uri").GetString()}@{r.GetProperty("backendId").GetString()}").Order(StringComparer.Ordinal).ToList();
            var agree = listed.SequenceEqual(expected) && stats == expected.Count && metric == expected.Count && sockets.SequenceEqual(placed);
            if (agree)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail(
                    $"{expected.Count} open clients; list {listed.Count} (missing {string.Join(",", expected.Except(listed).Take(5))}, extra {string.Join(",", listed.Except(expected).Take(5))}); "
                    + $"/stats {stats}; metric {metric}; backend sockets not matching the list: {string.Join(",", sockets.Except(placed).Concat(placed.Except(sockets)).Take(10))}");
            }

            await Task.Delay(50, CancellationToken.None); // old legs finish their close in the background: polled, bounded
        }
    }

    /// <summary>Awaits a bounded wait; one that runs out fails the test saying what was awaited, not "a task was canceled".</summary>
    private static async Task Bounded(Task wait, Func<string> what, CancellationToken ct)
    {
        try
        {
            await wait;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"timed out: {what()}");
        }
    }

    private static async Task<T> Bounded<T>(Task<T> wait, Func<string> what, CancellationToken ct)
    {
        await Bounded((Task)wait, what, ct);
        return await wait;
    }

    /// <summary>Runs <paramref name="action"/> again and again until the run is over; its failures are collected.</summary>
    private async Task RepeatAsync(CancellationToken over, Func<Task> action)
    {
        var faker = new Faker();
        while (!over.IsCancellationRequested)
        {
            try
            {
                await action();
            }
            catch (Exception ex) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                // The actions wait on the test's token with bounds of their own, never on the run's end: a cancellation
                // here is one of those bounds running out (a plugin version not active in time, say).
                _problems.Enqueue($"{ex.GetType().Name}: {ex.Message}{(ex is OperationCanceledException ? $" ({ex.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("Async", StringComparison.Ordinal))?.Trim()})" : "")}");
                return;
            }

            await Task.Delay(faker.Random.Int(0, 30), CancellationToken.None); // only enough to let the others interleave
        }
    }

    /// <summary>One admin request, answered within the bound with success, no action, or a failure with a reason.</summary>
    private async Task<AdminReply> AdminAsync(TestBalancer balancer, string path, CancellationToken ct, HttpContent? content = null)
    {
        using var bound = Timeouts.Linked(ct, AdminBound);
        AdminReply reply;
        try
        {
            reply = await balancer.PostRawAsync(path, bound.Token, content);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{path} was not answered within {AdminBound.TotalSeconds} s");
        }

        Assert.True(
            reply.Body is AdminHttp.Success or AdminHttp.NoActionRequired || reply.IsFailedWithReason,
            $"{path} answered {(int)reply.Status} {reply.Body}");
        _actions.AddOrUpdate(path.Split('/')[1] + "/" + path.Split('/')[2], 1, (_, n) => n + 1);
        return reply;
    }

    private async Task MoveSessionAsync(TestBalancer balancer, CancellationToken ct)
    {
        var ids = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
        if (ids.Count > 0)
        {
            await AdminAsync(balancer, $"/session/failover/{new Faker().PickRandom(ids)}", ct);
        }
    }

    private async Task MoveBackendAsync(TestBalancer balancer, CancellationToken ct) =>
        await AdminAsync(balancer, $"/backend/failover/b{new Faker().Random.Int(1, 3)}", ct);

    /// <summary>Deletes <see cref="Deleted"/>, checks that its sessions all leave it, and adds it back.</summary>
    private async Task DeleteAndAddAsync(TestBalancer balancer, string url, CancellationToken ct)
    {
        var reply = await AdminAsync(balancer, $"/backend/delete/{Deleted}", ct);
        if (reply.Body == AdminHttp.Success)
        {
            using var moved = Timeouts.Linked(ct, MovedOffBound);
            while (OnBackend(await balancer.GetJsonAsync("/session/list", moved.Token), Deleted) is { Count: > 0 } left)
            {
                if (moved.IsCancellationRequested)
                {
                    throw new TimeoutException($"{left.Count} sessions still on deleted backend {Deleted} after {MovedOffBound.TotalSeconds} s: {string.Join(", ", left.Take(5))}");
                }

                await Task.Delay(20, CancellationToken.None); // they move one by one: polled, bounded
            }
        }

        await Task.Delay(new Faker().Random.Int(0, 300), CancellationToken.None); // a while without it: sessions land elsewhere
        var added = await AdminAsync(balancer, "/backend/add", ct, AdminHttp.JsonBody($$"""{"url":"{{url}}","id":"{{Deleted}}"}"""));
        Assert.True(added.Body == AdminHttp.Success, $"adding {Deleted} back answered {added.Body}");
    }

    private static List<string> OnBackend(JsonElement sessions, string backendId) =>
        [.. sessions.EnumerateArray().Where(s => s.GetProperty("backendId").GetString() == backendId).Select(s => s.GetProperty("uri").GetString()!)];

    private async Task ToggleAsync(TestBalancer balancer, string action, string undo, CancellationToken ct)
    {
        await AdminAsync(balancer, action, ct);
        await Task.Delay(new Faker().Random.Int(0, 200), CancellationToken.None);
        await AdminAsync(balancer, undo, ct);
    }

    /// <summary>A new session (its upgrade may meet a pause: retried) that talks a little and closes; sometimes it stays.</summary>
    private async Task ChurnAsync(TestBalancer balancer, CancellationToken ct)
    {
        var client = await ConnectAsync(balancer, ct);
        var faker = new Faker();
        if (!await client.ExchangeAsync(faker.Random.Int(1, 3), () => faker.Lorem.Sentence(), window: 2, ct))
        {
            throw new InvalidOperationException($"{client.Path}: new session closed by the balancer: {client.ClosedByBalancer}");
        }

        if (faker.Random.Bool(0.8f))
        {
            var answer = await client.CloseAsync(ct);
            Assert.True(answer == WebSocketCloseStatus.NormalClosure, $"{client.Path}: close answered {answer}");
            _clients.TryRemove(client.Path, out _);
            _retired.Add(client);
        }
    }

    /// <summary>
    /// Installs version 1 or 2 of a valve plugin, or removes it. While one is active every new session takes the message
    /// path (its valve needs the content); while none is, new plain sessions take the relay: both cores stay in the mix.
    /// </summary>
    private async Task SwapPluginAsync(TestBalancer balancer, CancellationToken ct)
    {
        var faker = new Faker();
        if (_pluginInstalled && faker.Random.Bool(0.3f))
        {
            _plugins.Remove("Shouter");
            _pluginInstalled = false;
            await PluginList.WaitAsync(balancer, "Shouter", row => row is null || row.Value.GetProperty("status").GetString() != "active", ct);
        }
        else
        {
            var (project, version) = faker.Random.Bool() ? ("Shouter.V1", "1.0.0") : ("Shouter.V2", "2.0.0");
            _plugins.Install(project, "Shouter");
            _pluginInstalled = true;
            await PluginList.WaitForStatusAsync(balancer, "Shouter", "active", ct, version);
        }

        _actions.AddOrUpdate("plugin", 1, (_, n) => n + 1);
        await Task.Delay(new Faker().Random.Int(100, 500), CancellationToken.None); // a reload is a build's worth of work: paced
    }

    private async Task RewriteScriptAsync(TestBalancer balancer, CancellationToken ct)
    {
        var version = _actions.AddOrUpdate("script", 2, (_, n) => n + 1);
        _scripts.Write(ScriptName, Script(version));
        await ScriptFolder.WaitForVersionAsync(balancer, ScriptName, version, ct);
        await Task.Delay(new Faker().Random.Int(100, 500), CancellationToken.None);
    }

    private async Task TalkAsync(string path, CancellationToken over, CancellationToken ct)
    {
        var faker = new Faker();
        var client = _clients[path];
        try
        {
            while (!over.IsCancellationRequested)
            {
                if (!await client.ExchangeAsync(faker.Random.Int(1, 4), () => faker.Rant.Review(), window: 4, ct))
                {
                    _problems.Enqueue($"{path}: closed by the balancer: {client.ClosedByBalancer}");
                    return;
                }

                await Task.Delay(faker.Random.Int(20, 200), CancellationToken.None); // a talker's pace
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _problems.Enqueue($"{path}: an echo did not come within the bound ({client.Sent} sent, {client.Echoes.Length} echoed)");
        }
    }

    /// <summary>Connects a new session on a new path, retrying while the frontend is paused (503).</summary>
    private async Task<SequencedClient> ConnectAsync(TestBalancer balancer, CancellationToken ct)
    {
        var i = Interlocked.Increment(ref _nextPath);
        var path = $"/{(i % 2 == 0 ? "plain" : "scripted")}/{i}";
        using var timeout = Timeouts.Linked(ct);
        while (true)
        {
            var (client, status) = await SequencedClient.ConnectAsync(balancer.FrontendUri, path, timeout.Token);
            if (client is not null)
            {
                _clients[path] = client;
                return client;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            await Task.Delay(10, timeout.Token); // the pause ends on its actor's schedule: retried, bounded
        }
    }

    /// <summary>A pass-through script with per-session state, for sessions under <c>/scripted/</c> only (the message path).</summary>
    private static string Script(int version) =>
        $"// @match /scripted/**\n// version {version}\nfunction beforeTransmit(m, s) {{ s.state.n = (s.state.n || 0) + 1; }}\n";

    public void Dispose()
    {
        _plugins.Dispose();
        _scripts.Dispose();
    }
}

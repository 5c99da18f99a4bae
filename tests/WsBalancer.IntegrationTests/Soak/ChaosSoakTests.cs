using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Bogus;
using WsBalancer.IntegrationTests.Plugins;
using WsBalancer.IntegrationTests.Scripting;

namespace WsBalancer.IntegrationTests.Soak;

/// <summary>The soak needs the machine: it runs after the parallel collections, alone.</summary>
[CollectionDefinition(nameof(SoakCollection), DisableParallelization = true)]
public sealed class SoakCollection;

/// <summary>
/// 1 000 sessions (<c>WSB_SOAK_SESSIONS</c>) exchange Bogus messages for <c>WSB_SOAK_SECONDS</c> (default 45, so the
/// whole test stays under 3 minutes here) while backends are killed (every socket dropped) and restarted on their port,
/// sessions are failed over, backends disabled and enabled, the frontend paused, sessions replaced, a valve plugin
/// installed, replaced and removed, a script rewritten. At the end: every session that stayed got its echoes in order,
/// once; every message it sent and did not get back died with a killed backend (that backend received it, or it was
/// sent between that backend's last message and the next backend's first); no session, no backend connection, no
/// plugin load context is left; file descriptors and the GC heap are back to their level before (bounded tolerance).
/// Needs <c>ulimit -n</c> of at least 8192 (each session holds four sockets in this one process).
/// </summary>
[Collection(nameof(SoakCollection))]
public sealed class ChaosSoakTests : IDisposable
{
    private const string ScriptName = "10-count.js";

    // Descriptors the runtime may open for itself meanwhile (thread pool, epoll, timers, restarted listeners).
    private const int FdTolerance = 32;

    private readonly PluginSandbox _plugins = new();
    private readonly ScriptFolder _scripts = new();
    private readonly Faker _faker = new();
    private readonly ConcurrentQueue<string> _actions = new();
    private readonly ConcurrentQueue<string> _replace = new(); // new paths for the next talker that looks
    private readonly ConcurrentBag<SequencedClient> _retired = []; // sessions closed by their talker, kept for the checks

    [Fact]
    public async Task ThousandSessionsUnderChaos_NoLossNoReorderNoLeak()
    {
        var ct = TestContext.Current.CancellationToken;
        var sessions = SoakSetting.Get("WSB_SOAK_SESSIONS", 1000);
        var duration = TimeSpan.FromSeconds(SoakSetting.Get("WSB_SOAK_SECONDS", 45));
        _scripts.Write(ScriptName, Script(1));
        await using var backends = new Backends(await TestBackends.StartAsync(3, ct));
        await using var balancer = await TestBalancer.StartAsync(
            backends.Current, ct, plugins: _plugins.Settings, scripts: _scripts.Settings, server: s => s with { FrontendMaxSessionsPerAddress = 100_000 });
        await ScriptFolder.WaitForVersionAsync(balancer, ScriptName, 1, ct);
        // The level "before" is that of a balancer which has carried as many sessions once (its pools, caches and JIT
        // code sized by them), not of a cold one: what the chaos leaves beyond that is what it leaked.
        await WarmUpAsync(balancer, sessions, ct);
        var fdsBefore = OpenDescriptors();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var clients = new ConcurrentDictionary<string, SequencedClient>();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                var path = PathOf(i);
                clients[path] = await ConnectAsync(balancer, path, ct);
            }

            await balancer.WaitForSessionsAsync(sessions, ct);
            using var over = Timeouts.Linked(ct, duration);
            var frontendId = (await balancer.GetJsonAsync("/frontend/list", ct))[0].GetProperty("id").GetString()!;
            var talkers = clients.Keys.Select(path => Task.Run(() => TalkAsync(balancer, clients, path, over.Token, ct), ct)).ToList();
            var contexts = new List<WeakReference>();
            var replaced = 0;
            for (var tick = 0; !over.IsCancellationRequested; tick++)
            {
                switch (tick % 8)
                {
                    case 0 or 4:
                        await backends.KillAndRestartAsync(_faker.Random.Int(0, 2), _faker.Random.Int(100, 500), ct);
                        break;
                    case 1:
                        await InstallPluginAsync(balancer, tick % 16 == 1 ? "Shouter.V1" : "Shouter.V2", contexts, ct);
                        break;
                    case 2:
                        _scripts.Write(ScriptName, Script(tick + 2));
                        break;
                    case 3:
                        await RandomAdminAsync(balancer, frontendId, ct);
                        break;
                    default:
                        // A session replaced by a new one, which starts on the plugin and script of the moment.
                        _replace.Enqueue(PathOf(sessions + replaced++));
                        break;
                }

                await Task.Delay(_faker.Random.Int(100, 400), ct); // chaos paced over the run
            }

            await Task.WhenAll(talkers);
            await backends.RestartAllAsync(ct);
            await balancer.PostRawAsync($"/frontend/resume/{frontendId}", ct);
            foreach (var backend in backends.Current)
            {
                await balancer.PostRawAsync($"/backend/enable/{backend.Name}", ct);
            }

            var stayed = clients.Values.Where(c => c.IsOpen).ToList();
            await Task.WhenAll(stayed.Select(c => c.SettleAsync(() => "settle", ct)));
            var ended = clients.Values.Where(c => !c.IsOpen).Select(c => $"{c.Path}: {c.ClosedByBalancer}").ToList();
            var all = clients.Values.Concat(_retired).ToList();
            Assert.All(all, c => Assert.Null(c.Violation));
            var unaccounted = all.SelectMany(c => backends.Unaccounted(c)).ToList();
            Assert.True(unaccounted.Count == 0, $"messages lost outside any killed backend: {string.Join("; ", unaccounted.Take(20))}");
            Assert.True(ended.Count <= sessions / 100, $"{ended.Count} sessions ended by the balancer: {string.Join("; ", ended.Take(20))}");

            await Task.WhenAll(clients.Values.Select(c => c.CloseAsync(ct)));
            await balancer.WaitForSessionsAsync(0, ct);
            await TestBackends.WaitForNoConnectionsAsync(balancer, backends.Current, ct);
            var sent = all.Sum(c => c.Sent);
            var echoed = all.Sum(c => c.Echoes.Length);
            all.Clear();
            foreach (var client in clients.Values.Concat(_retired))
            {
                await client.DisposeAsync();
            }

            clients.Clear();
            _retired.Clear();
            _plugins.Remove("Shouter");
            await PluginList.WaitAsync(balancer, "Shouter", r => r is null, ct);
            foreach (var context in contexts)
            {
                await Unload.WaitUntilCollectedAsync(context, ct);
            }

            await backends.DisposeAsync();
            var fdsAfter = await SettledDescriptorsAsync(fdsBefore, ct);
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{sessions} sessions (+{replaced} replacements) for {duration}: {sent} sent, {echoed} echoed, {sent - echoed} died with killed backends; "
                + $"{ended.Count} ended by the balancer; {backends.Kills} kills; fds {fdsBefore} -> {fdsAfter}; heap {heapBefore} -> {heapAfter}; actions: {string.Join(", ", _actions)}");
            Assert.True(fdsAfter <= fdsBefore + FdTolerance, $"file descriptors {fdsBefore} before, {fdsAfter} after");
            Assert.True(heapAfter <= heapBefore * 1.1, $"GC heap {heapBefore} bytes before, {heapAfter} after");
        }
        finally
        {
            // A failure must not leave 1 000 clients open: the balancer's disposal would wait for their sessions.
            foreach (var client in clients.Values.Concat(_retired))
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task WarmUpAsync(TestBalancer balancer, int sessions, CancellationToken ct)
    {
        var warm = new List<SequencedClient>();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                warm.Add(await ConnectAsync(balancer, $"/warm-up{PathOf(i)}", ct));
            }

            await Task.WhenAll(warm.Select(c => c.SettleAsync(() => "warm", ct)));
            await Task.WhenAll(warm.Select(c => c.CloseAsync(ct)));
            await balancer.WaitForSessionsAsync(0, ct);
        }
        finally
        {
            foreach (var client in warm)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static string PathOf(int i) => $"/{(i % 2 == 0 ? "plain" : "scripted")}/{i}";

    /// <summary>A pass-through script with per-session state, for sessions under <c>/scripted/</c> only.</summary>
    private static string Script(int version) =>
        $"// @match /scripted/**\n// version {version}\nfunction beforeTransmit(m, s) {{ s.state.n = (s.state.n || 0) + 1; }}\n";

    /// <summary>Connects, retrying while the frontend is paused (503).</summary>
    private static async Task<SequencedClient> ConnectAsync(TestBalancer balancer, string path, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (true)
        {
            var (client, status) = await SequencedClient.ConnectAsync(balancer.FrontendUri, path, timeout.Token);
            if (client is not null)
            {
                return client;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            await Task.Delay(20, timeout.Token); // the pause ends on the chaos loop's schedule: retried
        }
    }

    /// <summary>
    /// One session's traffic until the run is over. When the chaos loop asks for it (<see cref="_replace"/>), the talker
    /// closes its session itself (so nothing else touches its socket) and goes on with a new one on a new path, which
    /// starts on the plugin and script of the moment.
    /// </summary>
    private async Task TalkAsync(TestBalancer balancer, ConcurrentDictionary<string, SequencedClient> clients, string path, CancellationToken over, CancellationToken ct)
    {
        var faker = new Faker();
        var client = clients[path];
        while (!over.IsCancellationRequested && client.IsOpen)
        {
            if (_replace.TryDequeue(out var next))
            {
                var answer = await client.CloseAsync(ct);
                Assert.True(answer == WebSocketCloseStatus.NormalClosure || client.ClosedByBalancer is not null, $"{client.Path}: close answered {answer}");
                _retired.Add(client);
                clients.TryRemove(client.Path, out _);
                client = await ConnectAsync(balancer, next, ct);
                clients[next] = client;
            }

            await client.ExchangeAsync(faker.Random.Int(1, 4), () => faker.Rant.Review(), window: 4, ct, lossAllowed: true);
            await Task.Delay(faker.Random.Int(100, 600), ct); // a talker's pace: 1 000 of them share two cores
        }
    }

    private async Task InstallPluginAsync(TestBalancer balancer, string project, List<WeakReference> contexts, CancellationToken ct)
    {
        _plugins.Install(project, "Shouter");
        var version = project == "Shouter.V1" ? "1.0.0" : "2.0.0";
        await PluginList.WaitForStatusAsync(balancer, "Shouter", "active", ct, version);
        contexts.AddRange(balancer.Plugins.Current.Versions.Where(v => v.Name == "Shouter").Select(v => v.Context));
        _actions.Enqueue($"plugin {version}");
    }

    private async Task RandomAdminAsync(TestBalancer balancer, string frontendId, CancellationToken ct)
    {
        var ids = (await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();
        var action = _faker.PickRandom(
            ids.Count > 0 ? $"/session/failover/{_faker.PickRandom(ids)}" : "/backend/failover/b1",
            $"/backend/failover/b{_faker.Random.Int(1, 3)}",
            $"/backend/disable/b{_faker.Random.Int(1, 3)}",
            $"/frontend/pause/{frontendId}");
        var reply = await balancer.PostRawAsync(action, ct);

        // A pause or a disable is undone after a moment: with one backend killed at a time, one always takes sessions.
        var undo = action.StartsWith("/frontend/pause/", StringComparison.Ordinal) ? $"/frontend/resume/{frontendId}"
            : action.StartsWith("/backend/disable/", StringComparison.Ordinal) ? action.Replace("disable", "enable", StringComparison.Ordinal)
            : null;
        if (undo is not null)
        {
            await Task.Delay(_faker.Random.Int(0, 200), ct); // upgrades meanwhile get 503 (paused) and retry
            var undone = await balancer.PostRawAsync(undo, ct);
            Assert.True(undone.Body is AdminHttp.Success or AdminHttp.NoActionRequired, $"{undo} answered {undone.Body}");
        }

        Assert.True(reply.Body is AdminHttp.Success or AdminHttp.NoActionRequired || reply.IsFailedWithReason, $"{action} answered {(int)reply.Status} {reply.Body}");
        _actions.Enqueue(action.Split('/')[2]);
    }

    /// <summary>Descriptors close in the background (sockets finishing their close): polled until at most the tolerance above, bounded.</summary>
    private static async Task<int> SettledDescriptorsAsync(int before, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        var now = OpenDescriptors();
        while (now > before + FdTolerance && !timeout.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None); // polled, bounded by the timeout
            now = OpenDescriptors();
        }

        return now;
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    public void Dispose()
    {
        _plugins.Dispose();
        _scripts.Dispose();
    }

    /// <summary>
    /// The three backends, each killed (every connection dropped, the listener stopped) and started again on its port.
    /// Remembers every instance's connections and which of them were killed, for the loss accounting.
    /// </summary>
    private sealed class Backends(TestBackends initial) : IAsyncDisposable
    {
        private readonly TestBackend?[] _current = [.. initial.All];
        private readonly int[] _ports = [.. initial.All.Select(b => b.Url.Port)];
        private readonly List<BackendConnection> _all = [];
        private readonly HashSet<BackendConnection> _killed = [];

        public int Kills { get; private set; }

        public IEnumerable<TestBackend> Current => _current.OfType<TestBackend>();

        public async Task KillAndRestartAsync(int index, int downMilliseconds, CancellationToken ct)
        {
            await KillAsync(index);
            await Task.Delay(downMilliseconds, ct); // the backend stays down a while: dials to it fail meanwhile
            await StartAsync(index, ct);
        }

        public async Task RestartAllAsync(CancellationToken ct)
        {
            for (var i = 0; i < _current.Length; i++)
            {
                if (_current[i] is null)
                {
                    await StartAsync(i, ct);
                }
            }
        }

        /// <summary>Numbers <paramref name="client"/> sent, never got back, and that no killed backend explains.</summary>
        public IEnumerable<string> Unaccounted(SequencedClient client)
        {
            var legs = _all.Concat(Current.SelectMany(b => b.Connections))
                .Where(c => c.Target == client.Path)
                .Select(c => (Numbers: c.Received.Concat(c.ReceivedWhileClosing).Select(f => Number(f.Text)).ToHashSet(), Killed: _killed.Contains(c)))
                .ToList();
            // A leg killed before it read anything may have swallowed whatever was written to it (its numbers cannot place it).
            var silentKill = legs.Any(l => l.Killed && l.Numbers.Count == 0);
            legs = [.. legs.Where(l => l.Numbers.Count > 0).OrderBy(l => l.Numbers.Min())];
            var echoed = client.Echoes.ToHashSet();
            for (var n = 0; n < client.Sent; n++)
            {
                if (echoed.Contains(n))
                {
                    continue;
                }

                var holder = legs.FindIndex(l => l.Numbers.Contains(n));
                var explained = holder >= 0
                    ? legs[holder].Killed // its echo died with that backend
                    : silentKill || legs.Select((l, i) => (l, i)).Any(x => x.l.Killed && x.l.Numbers.Max() < n && (x.i + 1 == legs.Count || n < legs[x.i + 1].Numbers.Min())); // in the dying socket
                if (!explained)
                {
                    yield return $"{client.Path}#{n}";
                }
            }
        }

        private static int Number(string text) => int.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);

        private async Task KillAsync(int index)
        {
            if (_current[index] is not { } backend)
            {
                return;
            }

            _current[index] = null;
            _killed.UnionWith(backend.OpenConnections);
            await backend.DisposeAsync();
            _all.AddRange(backend.Connections);
            Kills++;
        }

        private async Task StartAsync(int index, CancellationToken ct) =>
            _current[index] = await TestBackend.StartAsync($"b{index + 1}", ct, _ports[index]);

        public async ValueTask DisposeAsync()
        {
            foreach (var backend in Current)
            {
                await backend.DisposeAsync();
            }

            Array.Clear(_current);
            _all.Clear(); // every message each connection received: the test's memory, not the balancer's
            _killed.Clear();
        }
    }
}

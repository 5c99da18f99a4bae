using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using WsBalancer.IntegrationTests.Plugins;
using WsBalancer.IntegrationTests.Process;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>
/// 10 000 real sessions held open: the sessions view stays paged and searchable, and every <c>/session/list</c> it sends
/// is answered quickly. The balancer runs as its own process with the bundled HttpBridge dialer, which holds no socket
/// per session: each session is one socket in each process (the client's, the frontend's), so 10 000 fit under a
/// common 20 000 open-files limit, where WebSocket backends (two more sockets a session) would not. What the view
/// costs is the registry's size, not the kind of backend. <c>WSB_TEST_SESSIONS</c> sets another count (2 000 to 99 999).
/// </summary>
[Collection(TimedCollection.Name)]
public sealed class ManySessionsTests(BrowserFixture browser) : IDisposable
{
    private const int ConnectConcurrency = 64;

    // A responsiveness bound for each kind of paged answer, measured by the browser from request start to response end:
    // a filtered, sorted page over 10 000 sessions takes a few tens of milliseconds; the rest is slack for a loaded
    // 2-core machine. The page polls, so most queries are answered more than once: the bound holds for the fastest answer
    // to each query, because one answer that met a full collection of a 10 000-session heap or a browser busy drawing 500
    // rows on the same two cores (426 ms once in a CI run, 15 ms on the next poll) says nothing about the query.
    private static readonly TimeSpan ListAnswerBound = TimeSpan.FromMilliseconds(200);

    // No answer at all may take longer than this: a stall a user would see as a hung view.
    private static readonly TimeSpan ListAnswerStallBound = TimeSpan.FromSeconds(1);

    private readonly string _root = Directory.CreateTempSubdirectory("wsbalancer-browser-many-").FullName;
    private readonly ConcurrentDictionary<int, ClientWebSocket> _clients = [];
    private readonly int _sessions = SessionCount();

    [Fact]
    public async Task ManySessions_ViewPagedAndSearchable_EachListAnsweredQuickly()
    {
        var ct = TestContext.Current.CancellationToken;
        var limit = OpenFilesLimit();
        Assert.True(limit >= _sessions + 2_000, $"the open-files limit is {limit}: this test needs {_sessions + 2_000} (./test.sh raises ulimit -n to the hard limit)");
        await using var rest = await RestEchoBackend.StartAsync("rest", ct);
        await using var balancer = HostProcess.Start(
        [
            "--server:frontend:address=127.0.0.1:0",
            "--server:admin:address=127.0.0.1:0",
            "--server:frontend:max-sessions-per-address=0", // every session comes from 127.0.0.1
            "--data-dir", ":memory:",
            "--plugins-dir", Directory.CreateDirectory(Path.Combine(_root, "plugins")).FullName,
            "--scripts-dir", Directory.CreateDirectory(Path.Combine(_root, "scripts")).FullName,
            "--upstream:dialer=HttpBridge/HttpBridgeDialer",
            $"--plugins:HttpBridge:settings:url={rest.Url.ToString().TrimEnd('/')}",
            "--plugins:HttpBridge:settings:open-method=none", // a dial sends nothing: the backend sees only messages
        ]);
        var (frontend, admin) = await balancer.WaitForListeningAsync(ct);
        using var http = new HttpClient { BaseAddress = admin, Timeout = Timeouts.Default };

        var started = Stopwatch.StartNew();
        await ConnectAllAsync(frontend, ct);
        await WaitForSessionCountAsync(http, ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"{_sessions} sessions connected in {started.Elapsed.TotalSeconds:F1} s");
        await _clients[1234].AssertReplyAsync("hello", "[rest] hello", ct); // real sessions, through to the backend
        var target = await FindAsync(http, "/fleet/01234", ct);
        // The bound is about a running balancer: the first answers of a fresh process also pay for compiling the paths
        // a page takes, first quickly and then optimized (over 100 ms an answer here until then), which says nothing
        // about how the view responds. A few rounds of each kind of query the view sends get that done first.
        for (var round = 0; round < 5; round++)
        {
            foreach (var query in (string[])["offset=0&limit=50", "offset=50&limit=50", "offset=0&limit=50&q=%2Ffleet%2F0", "offset=50&limit=50&q=%2Ffleet%2F0", "offset=0&limit=500"])
            {
                (await http.GetAsync($"/session/list?{query}", ct)).EnsureSuccessStatusCode();
            }
        }

        var timings = new ConcurrentQueue<(string Url, double Milliseconds)>();
        var measured = new ConcurrentBag<Task>();
        await using var session = await PageSession.OpenAsync(browser, admin);
        var page = session.Page;
        page.Response += (_, response) =>
        {
            if (response.Url.Contains("/session/list", StringComparison.Ordinal))
            {
                measured.Add(MeasureAsync(response, timings));
            }
        };
        await session.GotoAsync("sessions");
        var range = page.Locator("#sessions-range");
        var rows = page.Locator("#sessions-table tbody tr");

        var all = _sessions.ToString("N0", CultureInfo.InvariantCulture);
        await Expect(range).ToHaveTextAsync($"1–50 of {all}", new() { Timeout = 20_000 });
        await Expect(rows).ToHaveCountAsync(50);

        await page.GetByRole(AriaRole.Button, new() { Name = "Next page" }).ClickAsync();
        await Expect(range).ToHaveTextAsync($"51–100 of {all}");

        var search = page.GetByLabel("Search id, uri, backend or address");
        await search.FillAsync(target.GetProperty("id").GetString()!);
        await Expect(range).ToHaveTextAsync("1–1 of 1");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("/fleet/01234");

        await search.FillAsync("/fleet/012");
        await Expect(range).ToHaveTextAsync("1–50 of 100");
        await page.GetByRole(AriaRole.Button, new() { Name = "Next page" }).ClickAsync();
        await Expect(range).ToHaveTextAsync("51–100 of 100");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Next page" })).ToBeDisabledAsync();

        await search.FillAsync("");
        await page.GetByLabel("Per page").SelectOptionAsync("500");
        await Expect(range).ToHaveTextAsync($"1–500 of {all}");
        await Expect(rows).ToHaveCountAsync(500);
        await Expect(range).ToHaveTextAsync($"1–500 of {all}"); // still right after at least one more poll of the largest page

        await Task.WhenAll(measured);
        Assert.True(timings.Count >= 6, $"only {timings.Count} /session/list answers were measured");
        Assert.DoesNotContain(timings, t => double.IsNaN(t.Milliseconds));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{timings.Count} /session/list answers over {_sessions} sessions: " + string.Join(", ", timings.Select(t => $"{t.Url[t.Url.IndexOf("/session", StringComparison.Ordinal)..]} {t.Milliseconds:F1} ms")));
        var slow = timings.GroupBy(t => t.Url).Select(g => (Url: g.Key, Milliseconds: g.Min(t => t.Milliseconds))).Where(t => t.Milliseconds >= ListAnswerBound.TotalMilliseconds).ToList();
        Assert.True(slow.Count == 0, $"/session/list queries whose fastest answer took over {ListAnswerBound.TotalMilliseconds} ms: " + string.Join(", ", slow.Select(t => $"{t.Url} {t.Milliseconds:F0} ms")));
        var stalled = timings.Where(t => t.Milliseconds >= ListAnswerStallBound.TotalMilliseconds).ToList();
        Assert.True(stalled.Count == 0, $"/session/list answers over {ListAnswerStallBound.TotalMilliseconds} ms: " + string.Join(", ", stalled.Select(t => $"{t.Url} {t.Milliseconds:F0} ms")));
        Assert.DoesNotContain(timings, t => t.Url.EndsWith("/session/list", StringComparison.Ordinal)); // the page never asks for all sessions
        session.AssertNoProblems();
    }

    /// <summary>10 000, or the count <c>WSB_TEST_SESSIONS</c> gives.</summary>
    private static int SessionCount()
    {
        var text = Environment.GetEnvironmentVariable("WSB_TEST_SESSIONS");
        if (string.IsNullOrEmpty(text))
        {
            return 10_000;
        }

        Assert.True(int.TryParse(text, CultureInfo.InvariantCulture, out var count) && count is >= 2_000 and < 100_000, $"WSB_TEST_SESSIONS='{text}': expected a whole number from 2000 to 99999");
        return count;
    }

    /// <summary>This process's soft limit on open files, from /proc (the runtime has raised it to the hard limit).</summary>
    private static long OpenFilesLimit()
    {
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
    }

    private static async Task MeasureAsync(IResponse response, ConcurrentQueue<(string, double)> timings)
    {
        await response.FinishedAsync();
        var timing = response.Request.Timing;
        // Playwright reports -1 for a phase it could not time: such an answer counts as unmeasured, never as fast.
        timings.Enqueue((response.Url, timing.RequestStart < 0 || timing.ResponseEnd < 0 ? double.NaN : timing.ResponseEnd - timing.RequestStart));
    }

    private async Task ConnectAllAsync(Uri frontend, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct, TimeSpan.FromSeconds(90));
        await Parallel.ForAsync(0, _sessions, new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency, CancellationToken = timeout.Token }, async (i, token) =>
        {
            var client = new ClientWebSocket();
            _clients[i] = client;
            await client.ConnectAsync(new Uri(frontend, $"/fleet/{i:D5}"), token);
        });
    }

    private async Task WaitForSessionCountAsync(HttpClient http, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while ((await http.GetFromJsonAsync<JsonElement>("/stats", timeout.Token)).GetProperty("sessions").GetInt32() != _sessions)
        {
            await Task.Delay(50, timeout.Token); // the last sessions register just after their 101: polled, bounded
        }
    }

    private static async Task<JsonElement> FindAsync(HttpClient http, string uri, CancellationToken ct)
    {
        var page = await http.GetFromJsonAsync<JsonElement>($"/session/list?q={Uri.EscapeDataString(uri)}&limit=1", ct);
        return page.GetProperty("items")[0];
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Abort();
            client.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleanup.
        }
    }
}

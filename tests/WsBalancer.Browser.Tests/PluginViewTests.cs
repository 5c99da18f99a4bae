using System.Text.Json;
using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using WsBalancer.Host.Plugins;
using WsBalancer.IntegrationTests.Plugins;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>The plugins view's actions on a real plugin assembly (the Shouter test plugin), each checked in /plugin/list.</summary>
public sealed class PluginViewTests(BrowserFixture browser) : IDisposable
{
    private readonly PluginSandbox _plugins = new();

    [Fact]
    public async Task ReloadDisableEnable_EachShowsInPluginListAndActsOnNewSessions()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);
        var pinned = await balancer.ConnectAsync("/pinned", ct);
        await pinned.AssertReplyAsync("a", "[1.0.0] a", ct); // Shouter tags what the backend sends with its version
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("plugins");
        var row = page.Locator("tr[data-plugin='Shouter']");
        await Expect(row).ToContainTextAsync("active");
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("1.0.0");
        await Expect(row.Locator("td").Nth(3)).ToHaveTextAsync("1"); // the pinned session

        // Reload: a new version for new sessions; the live session keeps the first, listed as an older version.
        await row.GetByRole(AriaRole.Button, new() { Name = "Reload plugin Shouter" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Reload plugin Shouter — success");
        var older = Assert.Single((await PluginRowAsync(balancer, ct)).GetProperty("versions").EnumerateArray());
        Assert.Equal(1, older.GetProperty("sequence").GetInt32());
        Assert.Equal(1, older.GetProperty("sessions").GetInt32());
        await Expect(row.Locator(".versions")).ToHaveTextAsync("1.0.0#1 draining, 1 session");
        await Expect(row.Locator("td").Nth(3)).ToHaveTextAsync("0");

        // Disable: new sessions go without it, the live one keeps its version.
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable plugin Shouter" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Disable plugin Shouter — success");
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("disabled");
        Assert.Equal("disabled", (await PluginRowAsync(balancer, ct)).GetProperty("status").GetString());
        var whileDisabled = await balancer.ConnectAsync("/plain", ct);
        await whileDisabled.AssertEchoAsync("plain", ct);
        await pinned.AssertReplyAsync("kept", "[1.0.0] kept", ct);

        // Enable: new sessions get it again.
        await row.GetByRole(AriaRole.Button, new() { Name = "Enable plugin Shouter" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Enable plugin Shouter — success");
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("active");
        Assert.Equal("active", (await PluginRowAsync(balancer, ct)).GetProperty("status").GetString());
        var afterEnable = await balancer.ConnectAsync("/again", ct);
        await afterEnable.AssertReplyAsync("back", "[1.0.0] back", ct);

        session.AssertNoProblems();
    }

    [Fact]
    public async Task PluginDialerWithoutAdministrator_BackendsViewSaysSo_NoViewCallsTheMissingApi()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rest = await RestEchoBackend.StartAsync("rest", ct);
        await using var balancer = await TestBalancer.StartAsync([], ct, plugins: p => p with
        {
            BundledDirectory = Path.Combine(AppContext.BaseDirectory, "plugins"),
            Dialer = "HttpBridge/HttpBridgeDialer",
            Entries = new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase)
            {
                ["HttpBridge"] = new() { Settings = new Dictionary<string, string> { ["url"] = rest.Url.ToString().TrimEnd('/') } },
            },
        });
        var client = await balancer.ConnectAsync("/bridged", ct);
        await client.AssertReplyAsync("hi", "[rest] hi", ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("overview");
        await Expect(page.Locator("[data-tile='backends']")).ToContainTextAsync("the active dialer lists no backends");

        await session.ShowAsync("backends", "Backends");
        await Expect(page.Locator("#backends-table")).ToContainTextAsync("The active dialer manages no backends");
        await Expect(page.Locator("#backend-add")).ToBeHiddenAsync();
        await session.ShowAsync("sessions", "Sessions");
        await Expect(page.Locator("#sessions-table tbody tr")).ToContainTextAsync("/bridged");
        session.AssertNoProblems(); // a 501 from /backend/list would be a console error
    }

    private static async Task<JsonElement> PluginRowAsync(TestBalancer balancer, CancellationToken ct) =>
        (await PluginList.FindAsync(balancer, "Shouter", ct)) ?? throw new InvalidOperationException("Shouter is not in /plugin/list");

    public void Dispose() => _plugins.Dispose();
}

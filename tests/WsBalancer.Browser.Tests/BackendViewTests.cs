using System.Text.Json;
using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>The backends view: add, disable, enable, reset, delete through the page, each checked in /backend/list.</summary>
public sealed class BackendViewTests(BrowserFixture browser)
{
    [Fact]
    public async Task AddDisableEnableResetDelete_EachShowsInBackendList()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var canary = await TestBackend.StartAsync("canary", ct);
        await using var balancer = await TestBalancer.StartAsync([b1], ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("backends");

        // Add
        await page.GetByLabel("URL (ws:// or wss://)").FillAsync(canary.Url.ToString());
        await page.GetByLabel("Id (optional)").FillAsync("canary");
        await page.GetByLabel("Breaker threshold (optional)").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add backend" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Add backend canary — success");
        var row = page.Locator("tr[data-backend-id='canary']");
        await Expect(row).ToContainTextAsync("enabled");
        var added = await balancer.BackendAsync("canary", ct);
        Assert.NotNull(added);
        Assert.Equal(canary.Url.ToString(), added.Value.GetProperty("url").GetString());
        Assert.Equal(3, (await balancer.GetJsonAsync("/backend/config/canary", ct)).GetProperty("breaker-threshold").GetInt32());

        // Disable
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable canary" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Disable backend canary — success");
        await Expect(row).ToContainTextAsync("disabled");
        Assert.False((await balancer.BackendAsync("canary", ct))!.Value.GetProperty("enabled").GetBoolean());

        // Enable
        await row.GetByRole(AriaRole.Button, new() { Name = "Enable canary" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Enable backend canary — success");
        Assert.True((await balancer.BackendAsync("canary", ct))!.Value.GetProperty("enabled").GetBoolean());

        // Reset: the breaker is closed already, which the API reports as NoActionRequired or success; the page shows which.
        await row.GetByRole(AriaRole.Button, new() { Name = "Reset canary" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync(new System.Text.RegularExpressions.Regex("Reset breaker of backend canary — (success|no action required)"));
        Assert.Equal("Closed", (await balancer.BackendAsync("canary", ct))!.Value.GetProperty("breakerState").GetString());

        // Delete, after a confirmation that names the backend and its live sessions
        // b1 is switched off while the client connects, so its session is on canary.
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/disable/b1", ct)).Body);
        var client = await balancer.ConnectAsync("/to-canary", ct);
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/enable/b1", ct)).Body);
        await Expect(row.Locator("td").Nth(3)).ToHaveTextAsync("1");
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete canary" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Delete backend canary?" });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("Backend \"canary\" holds 1 live session.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete canary" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Delete backend canary — success");
        await Expect(row).ToHaveCountAsync(0);
        Assert.Null(await balancer.BackendAsync("canary", ct));
        await client.AssertEchoAsync("still here", ct); // the session on canary was moved, not dropped
        Assert.Equal("b1", (await balancer.GetJsonAsync("/session/list", ct))[0].GetProperty("backendId").GetString());
        session.AssertNoProblems();
    }

    [Fact]
    public async Task Drain_RateAskedAndChecked_ProgressShown_UndrainTakesSessionsAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        // b2 is switched off while the clients connect, so all three sessions are on b1.
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/disable/b2", ct)).Body);
        var clients = new List<System.Net.WebSockets.ClientWebSocket>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await balancer.ConnectAsync($"/drained/{i}", ct));
        }

        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/enable/b2", ct)).Body);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("backends");
        var row = page.Locator("tr[data-backend-id='b1']");
        await Expect(row.Locator("td").Nth(3)).ToHaveTextAsync("3");

        await row.GetByRole(AriaRole.Button, new() { Name = "Drain b1" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Drain backend b1?" });
        await Expect(dialog).ToContainTextAsync("Moves the 3 live sessions of \"b1\" to other backends");
        var rate = dialog.GetByLabel("Sessions per second");
        await Expect(rate).ToBeFocusedAsync();
        await Expect(rate).ToHaveValueAsync("10");
        await rate.FillAsync("0");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Start drain" }).ClickAsync();
        await Expect(page.Locator("#drain-rate-error")).ToHaveTextAsync("rate must be above 0 and at most 1000 sessions per second");
        await Expect(rate).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(dialog).ToBeVisibleAsync(); // nothing sent: the dialog waits for a valid rate
        Assert.DoesNotContain("draining", (await balancer.GetAsync("/backend/list", ct)).Body, StringComparison.Ordinal);

        await rate.FillAsync("5");
        await rate.PressAsync("Enter");
        await Expect(session.LatestActivity).ToContainTextAsync("Drain backend b1 at 5/s — success");
        await Expect(row).ToContainTextAsync("drained: 3 moved, takes no new sessions", new() { Timeout = 20_000 });
        var drained = (await balancer.BackendAsync("b1", ct))!.Value.GetProperty("draining");
        Assert.Equal("drained", drained.GetProperty("state").GetString());
        Assert.Equal(5, drained.GetProperty("rate").GetDouble());
        Assert.All((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray(), s => Assert.Equal("b2", s.GetProperty("backendId").GetString()));
        foreach (var client in clients)
        {
            await client.AssertEchoAsync("moved, not dropped", ct);
        }

        await row.GetByRole(AriaRole.Button, new() { Name = "Undrain b1" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Undrain backend b1 — success");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Drain b1" })).ToBeVisibleAsync();
        await Expect(row).Not.ToContainTextAsync("drain");
        Assert.False((await balancer.BackendAsync("b1", ct))!.Value.TryGetProperty("draining", out _));
        session.AssertNoProblems();
    }

    [Fact]
    public async Task Add_InvalidValues_TheApisMessageAtTheField()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([b1], ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("backends");
        var url = page.GetByLabel("URL (ws:// or wss://)");

        await url.FillAsync("http://not-a-websocket");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add backend" }).ClickAsync();
        await Expect(page.Locator("#add-url-error")).ToHaveTextAsync("url 'http://not-a-websocket' must be an absolute ws:// or wss:// URL");
        await Expect(url).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(url).ToBeFocusedAsync();

        await url.FillAsync(b1.Url.ToString().Replace("127.0.0.1", "localhost", StringComparison.Ordinal));
        await page.GetByLabel("Ping time (optional)").FillAsync("soon");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add backend" }).ClickAsync();
        await Expect(page.Locator("#add-ping-time-error")).ToHaveTextAsync("ping-time: 'soon' is not a positive duration such as 10s or 1m30s");
        await Expect(page.Locator("#add-url-error")).ToBeHiddenAsync();

        await page.GetByLabel("Ping time (optional)").FillAsync("");
        await page.GetByLabel("Id (optional)").FillAsync("b1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add backend" }).ClickAsync();
        await Expect(page.Locator("#add-id-error")).ToHaveTextAsync("duplicate id 'b1'");
        await Expect(session.LatestActivity).ToContainTextAsync("failed: duplicate id 'b1'");

        Assert.Single((await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray());
        session.AssertNoProblems(400);
    }
}

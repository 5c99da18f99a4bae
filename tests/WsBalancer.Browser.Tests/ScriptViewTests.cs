using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using WsBalancer.IntegrationTests.Scripting;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>The scripts view's actions, each checked in /script/list and on a live session; a quarantined script stands out.</summary>
public sealed class ScriptViewTests(BrowserFixture browser) : IDisposable
{
    private readonly ScriptFolder _scripts = new();

    [Fact]
    public async Task DisableEnable_ShowsInScriptListAndOnTheLiveSession()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-plus.js", "function beforeTransmit(m) { return m.text + '+'; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        await ScriptFolder.WaitForVersionAsync(balancer, "10-plus.js", 1, ct);
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.AssertReplyAsync("a", "a+", ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("scripts");
        var row = page.Locator("tr[data-script='10-plus.js']");
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("active");

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable script 10-plus.js" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Disable script 10-plus.js — success");
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("disabled");
        Assert.Equal("disabled", await StatusAsync(balancer, "10-plus.js", ct));
        await client.AssertEchoAsync("off", ct);

        await row.GetByRole(AriaRole.Button, new() { Name = "Enable script 10-plus.js" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Enable script 10-plus.js — success");
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("active");
        Assert.Equal("active", await StatusAsync(balancer, "10-plus.js", ct));
        await client.AssertReplyAsync("on", "on+", ct);
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("2"); // calls: not while it was disabled
        session.AssertNoProblems();
    }

    [Fact]
    public async Task Quarantined_StandsOutWithItsErrorAndLastFault_EnableLiftsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        // Every "spin" breaks the time limit; the third break within a minute is more than quarantine-after (2).
        _scripts.Write("10-slow.js", "// @on-error pass\n// @timeout 50ms\nfunction beforeTransmit(m) { if (m.text === 'spin') { while (true) {} } return m.text + '+'; }\n");
        _scripts.Write("20-fine.js", "function afterReceive(m) { return m; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: s => _scripts.Settings(s) with { QuarantineAfter = 2 });
        await ScriptFolder.WaitForVersionAsync(balancer, "10-slow.js", 1, ct);
        var client = await balancer.ConnectAsync("/ws", ct);
        for (var i = 0; i < 3; i++)
        {
            await client.AssertEchoAsync("spin", ct); // on-error pass: the message goes through unchanged
        }

        var listed = await ScriptFolder.WaitAsync(balancer, "10-slow.js", r => r.GetProperty("status").GetString() == "quarantined", ct);
        var error = listed.GetProperty("error").GetString()!;
        Assert.Contains("limit breaks within a minute", error, StringComparison.Ordinal);
        var lastFault = listed.GetProperty("lastFault").GetString();
        Assert.False(string.IsNullOrWhiteSpace(lastFault));
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("scripts");

        var row = page.Locator("tr[data-script='10-slow.js']");
        await Expect(row).ToHaveClassAsync("problem");
        await Expect(row.Locator("td").Nth(1).Locator(".badge")).ToHaveTextAsync("quarantined");
        await Expect(row.Locator(".error-text")).ToHaveTextAsync(error);
        await Expect(row).ToContainTextAsync("Not run until its file changes or it is enabled; meanwhile its on-error (pass) applies to every message.");
        await Expect(row).ToContainTextAsync($"Last fault: {lastFault}");
        await Expect(row.Locator("td").Nth(5)).ToHaveTextAsync("3"); // limit breaks
        // Its neighbour is healthy and does not look like it.
        var fine = page.Locator("tr[data-script='20-fine.js']");
        await Expect(fine).Not.ToHaveClassAsync("problem");
        await Expect(fine.Locator("td").Nth(1)).ToHaveTextAsync("active");
        await client.AssertEchoAsync("ok", ct); // quarantined: not run

        // Enable lifts the quarantine (Disable is offered too).
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Disable script 10-slow.js" })).ToBeVisibleAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Enable script 10-slow.js" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Enable script 10-slow.js — success");
        await Expect(row.Locator("td").Nth(1)).ToHaveTextAsync("active");
        await Expect(row).Not.ToHaveClassAsync("problem");
        Assert.Equal("active", await StatusAsync(balancer, "10-slow.js", ct));
        await client.AssertReplyAsync("ok", "ok+", ct);
        session.AssertNoProblems();
    }

    private static async Task<string?> StatusAsync(TestBalancer balancer, string name, CancellationToken ct) =>
        (await ScriptFolder.FindAsync(balancer, name, ct))?.GetProperty("status").GetString();

    public void Dispose() => _scripts.Dispose();
}

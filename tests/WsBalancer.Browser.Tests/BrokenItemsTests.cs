using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>A plugin that does not load and a script that does not parse stand out in their lists, with their error.</summary>
public sealed class BrokenItemsTests(BrowserFixture browser) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("wsbalancer-browser-").FullName;

    [Fact]
    public async Task BrokenPluginAndScript_ShownWithTheirErrors_GoodScriptSourceAsText()
    {
        var ct = TestContext.Current.CancellationToken;
        var plugins = Directory.CreateDirectory(Path.Combine(_root, "plugins")).FullName;
        var scripts = Directory.CreateDirectory(Path.Combine(_root, "scripts")).FullName;
        Directory.CreateDirectory(Path.Combine(plugins, "Broken"));
        await File.WriteAllTextAsync(Path.Combine(plugins, "Broken", "Broken.dll"), "this is not an assembly", ct);
        await File.WriteAllTextAsync(Path.Combine(scripts, "broken.js"), "function beforeTransmit(message { return message; }", ct);
        // Markup in a script must come out as text in the source view, never as elements.
        const string goodSource = "// <b id=\"injected\">bold?</b>\nfunction beforeTransmit(message) { return message; }\n";
        await File.WriteAllTextAsync(Path.Combine(scripts, "good.js"), goodSource, ct);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct,
            plugins: p => p with { Directory = plugins, QuietPeriod = TimeSpan.FromMilliseconds(100), PollInterval = TimeSpan.FromMilliseconds(50) },
            scripts: s => s with { Directory = scripts, QuietPeriod = TimeSpan.FromMilliseconds(80), PollInterval = TimeSpan.FromMilliseconds(40) });
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("plugins");

        var plugin = page.Locator("tr[data-plugin='Broken']");
        await Expect(plugin).ToHaveClassAsync("problem");
        await Expect(plugin).ToContainTextAsync("failed");
        var pluginError = (await balancer.GetJsonAsync("/plugin/list", ct)).EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Broken").GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(pluginError));
        await Expect(plugin.Locator(".error-text")).ToHaveTextAsync(pluginError);

        await session.ShowAsync("scripts", "Scripts");
        var broken = page.Locator("tr[data-script='broken.js']");
        await Expect(broken).ToHaveClassAsync("problem");
        await Expect(broken).ToContainTextAsync("error");
        var scriptError = (await balancer.GetJsonAsync("/script/list", ct)).EnumerateArray().Single(s => s.GetProperty("name").GetString() == "broken.js").GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(scriptError));
        await Expect(broken.Locator(".error-text")).ToHaveTextAsync(scriptError);

        var good = page.Locator("tr[data-script='good.js']");
        await Expect(good).Not.ToHaveClassAsync("problem");
        await Expect(good).ToContainTextAsync("active");
        await good.GetByRole(AriaRole.Button, new() { Name = "Source script good.js" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Script good.js" });
        await Expect(dialog.Locator("pre")).ToHaveTextAsync(goodSource);
        await Expect(page.Locator("#injected")).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();

        await good.GetByRole(AriaRole.Button, new() { Name = "Disable script good.js" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync("Disable script good.js — success");
        await Expect(good).ToContainTextAsync("disabled");
        session.AssertNoProblems();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A watcher may still hold a file for a moment; the temp folder is cleaned by the OS eventually.
        }
    }
}

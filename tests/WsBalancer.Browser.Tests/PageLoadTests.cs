using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>The page loads clean: no console error, no CSP violation, nothing serious for axe, in both themes and widths.</summary>
public sealed class PageLoadTests(BrowserFixture browser)
{
    private static readonly (string View, string Link)[] Views =
        [("overview", "Overview"), ("backends", "Backends"), ("sessions", "Sessions"), ("plugins", "Plugins"), ("scripts", "Scripts")];

    [Theory]
    [InlineData(ColorScheme.Light, 1280, 800)]
    [InlineData(ColorScheme.Dark, 1280, 800)]
    [InlineData(ColorScheme.Light, 390, 844)]
    public async Task EveryView_NoConsoleErrorNoCspViolationAxeFindsNothingSerious(ColorScheme scheme, int width, int height)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        await balancer.ConnectAsync("/device/1", ct); // so the tables have rows to check
        await using var page = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!, scheme, width, height);
        await page.GotoAsync();

        foreach (var (view, link) in Views)
        {
            await page.ShowAsync(view, link);
            await Expect(page.Page.Locator($"#view-{view} h2")).ToHaveTextAsync(link);
            if (view is "backends" or "sessions")
            {
                await Expect(page.Page.Locator($"#view-{view} tbody tr").First).ToBeVisibleAsync();
            }

            var axe = await page.Page.RunAxe();
            var serious = axe.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
            Assert.True(serious.Count == 0, $"{view} ({scheme}, {width}px): " + string.Join("; ", serious.Select(v => $"{v.Id}: {v.Help} ({v.Nodes.Length} nodes: {string.Join(", ", v.Nodes.Take(3).Select(n => string.Join(" ", n.Target)))})")));
            // Readable at this width: the page itself never scrolls sideways (wide tables scroll in their own region).
            var overflow = await page.Page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"{view} at {width}px is {overflow}px wider than the window");
        }

        page.AssertNoProblems();
    }

    [Fact]
    public async Task Keyboard_TabReachesNavigationAndDialogClosesWithEscape()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        await using var page = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        await page.GotoAsync();

        // Skip link first, then the views: an operator can work the page without a mouse.
        await page.Page.Keyboard.PressAsync("Tab");
        await Expect(page.Page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" })).ToBeFocusedAsync();
        await page.Page.Keyboard.PressAsync("Tab");
        await page.Page.Keyboard.PressAsync("Tab");
        await Expect(page.Page.GetByRole(AriaRole.Link, new() { Name = "Backends" })).ToBeFocusedAsync();
        await page.Page.Keyboard.PressAsync("Enter");
        await Expect(page.Page.Locator("#view-backends")).ToBeVisibleAsync();

        var config = page.Page.GetByRole(AriaRole.Button, new() { Name = "Config b1" });
        await config.FocusAsync();
        await page.Page.Keyboard.PressAsync("Enter");
        var dialog = page.Page.GetByRole(AriaRole.Dialog, new() { Name = "Backend b1: configuration" });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("pre")).ToContainTextAsync("\"id\": \"b1\"");
        // Focus stays in the modal dialog: tabbing on never lands on the page behind it.
        for (var i = 0; i < 4; i++)
        {
            await page.Page.Keyboard.PressAsync("Tab");
            Assert.True(await page.Page.EvaluateAsync<bool>("document.getElementById('text-dialog').contains(document.activeElement) || document.activeElement === document.body"));
        }

        await page.Page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(config).ToBeFocusedAsync();
        page.AssertNoProblems();
    }
}

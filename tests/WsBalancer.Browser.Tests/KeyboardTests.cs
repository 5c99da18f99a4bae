using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>Whole actions done with the keyboard alone, the focus ring visible at every step.</summary>
public sealed class KeyboardTests(BrowserFixture browser)
{
    [Fact]
    public async Task Backend_AddDisableEnableDelete_KeyboardOnly_FocusVisibleAndKeptAcrossRedraws()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var kb = await TestBackend.StartAsync("kb", ct);
        await using var balancer = await TestBalancer.StartAsync([b1], ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("backends");
        var keyboard = page.Keyboard;
        async Task<bool> EnabledAsync() => (await balancer.BackendAsync("kb", ct))!.Value.GetProperty("enabled").GetBoolean();
        var row = page.Locator("tr[data-backend-id='kb']");
        ILocator Button(string name) => row.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

        // Add: Tab to the URL field, type, Tab to the id, type, Enter submits the form.
        var url = page.GetByLabel("URL (ws:// or wss://)");
        await session.TabToAsync(url);
        await PageSession.AssertFocusVisibleAsync(url);
        await keyboard.TypeAsync(kb.Url.ToString());
        await keyboard.PressAsync("Tab");
        await PageSession.AssertFocusVisibleAsync(page.GetByLabel("Id (optional)"));
        await keyboard.TypeAsync("kb");
        await keyboard.PressAsync("Enter");
        await Expect(session.LatestActivity).ToContainTextAsync("Add backend kb — success");
        Assert.True(await EnabledAsync());

        // Disable: back to the new row's toggle, Enter. The redraw that follows keeps the focus on the toggle, now Enable.
        await Expect(row).ToBeVisibleAsync();
        await session.TabToAsync(Button("Disable kb"), backwards: true);
        await PageSession.AssertFocusVisibleAsync(Button("Disable kb"));
        await keyboard.PressAsync("Enter");
        await Expect(session.LatestActivity).ToContainTextAsync("Disable backend kb — success");
        await Expect(row).ToContainTextAsync("disabled");
        Assert.False(await EnabledAsync());
        await PageSession.AssertFocusVisibleAsync(Button("Enable kb"));
        // Still there after the page's own redraws: the second list answer from now comes after at least one redraw.
        for (var i = 0; i < 2; i++)
        {
            await page.WaitForResponseAsync(r => r.Url.EndsWith("/backend/list", StringComparison.Ordinal));
        }

        // With its focus ring: a redraw that removed the focused control before focusing its successor lost the ring.
        await PageSession.AssertFocusVisibleAsync(Button("Enable kb"));

        await keyboard.PressAsync("Enter");
        await Expect(session.LatestActivity).ToContainTextAsync("Enable backend kb — success");
        await PageSession.AssertFocusVisibleAsync(Button("Disable kb"));
        Assert.True(await EnabledAsync());

        // Delete: Tab to Delete, Enter opens the confirmation with the focus on Cancel; Tab twice to confirm.
        await session.TabToAsync(Button("Delete kb"));
        await keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Delete backend kb?" });
        await Expect(dialog).ToBeVisibleAsync();
        await PageSession.AssertFocusVisibleAsync(dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }));
        await session.TabToAsync(dialog.GetByRole(AriaRole.Button, new() { Name = "Delete kb" }), maxPresses: 2);
        await keyboard.PressAsync("Enter");
        await Expect(session.LatestActivity).ToContainTextAsync("Delete backend kb — success");
        await Expect(row).ToHaveCountAsync(0);
        Assert.Null(await balancer.BackendAsync("kb", ct));
        // The focused row is gone: the focus goes to the table, not back to the top of the page.
        await PageSession.AssertFocusVisibleAsync(page.Locator("#backends-table .table-wrap"));

        // The skip link moves the focus to the content and leaves the view as it is.
        await session.TabToAsync(page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" }), backwards: true);
        await keyboard.PressAsync("Enter");
        await Expect(page.Locator("#main")).ToBeFocusedAsync();
        await Expect(page.Locator("#view-backends")).ToBeVisibleAsync();
        await Expect(page.Locator("#view-overview")).ToBeHiddenAsync();
        session.AssertNoProblems();
    }
}

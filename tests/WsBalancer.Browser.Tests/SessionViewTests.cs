using System.Net.WebSockets;
using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>The sessions view with real WebSocket clients: a session shows up, fails over, is aborted; pause and resume.</summary>
[Collection(TimedCollection.Name)]
public sealed class SessionViewTests(BrowserFixture browser)
{
    [Fact]
    public async Task Session_AppearsWithin2Seconds_FailOverKeepsClient_AbortClosesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("sessions");
        await Expect(page.Locator("#sessions-range")).ToHaveTextAsync("0–0 of 0");

        var client = await balancer.ConnectAsync("/charger/42?model=x", ct);
        var id = (await balancer.SingleSessionAsync(ct)).Id; // registered: the client can read its 101 a moment before
        var row = page.Locator($"tr[data-session-id='{id}']");
        // The view polls every 1.5 s: the new session is on screen within 2 s.
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 2000 });
        await Expect(row).ToContainTextAsync("/charger/42?model=x");
        var before = await row.Locator("td").Nth(2).TextContentAsync();

        await row.GetByRole(AriaRole.Button, new() { Name = $"Fail over session {id}" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync($"Fail over session {id} — success");
        await Expect(row.Locator("td").Nth(5)).ToHaveTextAsync("1"); // reconnects
        await Expect(row.Locator("td").Nth(2)).Not.ToHaveTextAsync(before!);
        await client.AssertEchoAsync("after failover", ct);

        await row.GetByRole(AriaRole.Button, new() { Name = $"Abort session {id}" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = $"Abort session {id}?" });
        await Expect(dialog).ToContainTextAsync("/charger/42?model=x");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Abort session" }).ClickAsync();
        await Expect(session.LatestActivity).ToContainTextAsync($"Abort session {id} — success");
        var closed = await client.ReceiveMessageAsync(ct);
        Assert.Equal(WebSocketMessageType.Close, closed.Type);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, closed.CloseStatus);
        await Expect(row).ToHaveCountAsync(0);
        session.AssertNoProblems();
    }

    [Fact]
    public async Task Pause_NewClientGets503_Resume_ClientsConnectAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await session.GotoAsync("overview");
        var frontend = page.Locator("[data-tile='frontend']");
        await Expect(frontend).ToContainTextAsync("accepting");

        await frontend.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(frontend).ToContainTextAsync("paused");
        await Expect(session.LatestActivity).ToContainTextAsync("— success");
        Assert.Equal(503, await balancer.HandshakeStatusAsync("/", ct));

        await frontend.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(frontend).ToContainTextAsync("accepting");
        var client = await balancer.ConnectAsync("/", ct);
        await client.AssertEchoAsync("back", ct);
        await Expect(page.Locator("[data-tile='sessions'] .value")).ToHaveTextAsync("1");
        session.AssertNoProblems();
    }
}

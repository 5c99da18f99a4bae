using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>Screenshots of the overview, backends and sessions views in both themes, left in the test output folder.</summary>
public sealed class ScreenshotTests(BrowserFixture browser)
{
    [Theory]
    [InlineData(ColorScheme.Light, "light")]
    [InlineData(ColorScheme.Dark, "dark")]
    public async Task OverviewBackendsSessions_Screenshots(ColorScheme scheme, string name)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await TestBackends.StartAsync(3, ct);
        await using var balancer = await TestBalancer.StartAsync(backends, ct);
        Assert.Equal(AdminHttp.Success, (await balancer.PostRawAsync("/backend/disable/b3", ct)).Body);
        var clients = new List<System.Net.WebSockets.ClientWebSocket>();
        for (var i = 0; i < 6; i++)
        {
            clients.Add(await balancer.ConnectAsync($"/charger/CP-{1000 + i}?fw=2.{i}", ct));
        }

        using var traffic = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var load = Task.Run(() => SendTrafficAsync(clients, traffic.Token), ct);
        try
        {
            await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!, scheme);
            var page = session.Page;
            await session.GotoAsync("overview");
            // Four polls: enough samples for the charts to show lines, and rates computed from real counters.
            await Expect(page.Locator("#chart-messages polyline.series-1")).ToHaveAttributeAsync("points", new System.Text.RegularExpressions.Regex(@"^(\S+ ){3,}\S+$"), new() { Timeout = 15_000 });
            await Expect(page.Locator("[data-tile='sessions'] .value")).ToHaveTextAsync("6");
            await page.ScreenshotAsync(new() { Path = Screenshots.PathOf($"overview-{name}"), FullPage = true });

            await session.ShowAsync("backends", "Backends");
            await Expect(page.Locator("tr[data-backend-id='b3']")).ToContainTextAsync("disabled");
            await page.ScreenshotAsync(new() { Path = Screenshots.PathOf($"backends-{name}"), FullPage = true });

            await session.ShowAsync("sessions", "Sessions");
            await Expect(page.Locator("#sessions-table tbody tr")).ToHaveCountAsync(6);
            await page.ScreenshotAsync(new() { Path = Screenshots.PathOf($"sessions-{name}"), FullPage = true });
            session.AssertNoProblems();
        }
        finally
        {
            await traffic.CancelAsync();
            await load;
        }

        foreach (var view in new[] { "overview", "backends", "sessions" })
        {
            Assert.True(new FileInfo(Screenshots.PathOf($"{view}-{name}")).Length > 10_000, $"{view}-{name}.png is missing or empty");
        }
    }

    /// <summary>Each client sends a message every 50 ms and reads its echo, until cancelled, so the rates are not zero.</summary>
    private static async Task SendTrafficAsync(List<System.Net.WebSockets.ClientWebSocket> clients, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var client in clients)
                {
                    await client.AssertEchoAsync("MeterValues", cancellationToken);
                }

                await Task.Delay(50, cancellationToken); // a steady rate, not a load test
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The test is done with the traffic.
        }
    }
}

using Bogus;
using Microsoft.Playwright;
using WsBalancer.Browser.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace WsBalancer.Browser.Tests;

/// <summary>Sign-in with the admin or the read-only token, a wrong token, a 401 mid-session, and what a reader may do.</summary>
public sealed class SignInTests(BrowserFixture browser)
{
    private static readonly Faker Faker = new();
    private readonly string _admin = Faker.Random.AlphaNumeric(32);
    private readonly string _read = Faker.Random.AlphaNumeric(32);

    private Task<TestBalancer> StartAsync(TestBackend backend, CancellationToken ct) =>
        TestBalancer.StartAsync([backend], ct, server: s => s with { AdminToken = _admin, AdminReadToken = _read });

    private static async Task SignInAsync(IPage page, string token)
    {
        await page.GetByLabel("Admin or read-only token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    [Fact]
    public async Task WrongToken_RefusedAtTheField_RightToken_SignedInAndKeptInSessionStorage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await page.GotoAsync("/");
        var signIn = page.GetByRole(AriaRole.Region, new() { Name = "Sign in" });
        await Expect(signIn).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Views" })).ToBeHiddenAsync();

        await SignInAsync(page, _admin + "x");
        await Expect(page.Locator("#signin-error")).ToHaveTextAsync("That token was refused. Check it and try again.");
        await Expect(page.GetByLabel("Admin or read-only token")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('wsbalancer.adminToken')"));

        await SignInAsync(page, _admin);
        await Expect(signIn).ToBeHiddenAsync();
        await Expect(page.Locator("#role-badge")).ToHaveTextAsync("admin");
        await Expect(page.Locator("[data-tile='backends'] .value")).ToHaveTextAsync("1");
        Assert.Equal(_admin, await page.EvaluateAsync<string?>("sessionStorage.getItem('wsbalancer.adminToken')"));

        // A reload in the same tab keeps the sign-in; the token never lands in the page's markup.
        await page.ReloadAsync();
        await Expect(page.Locator("#role-badge")).ToHaveTextAsync("admin");
        Assert.DoesNotContain(_admin, await page.ContentAsync(), StringComparison.Ordinal);

        // Every action offers its curl command, with the placeholder, never the token.
        await session.ShowAsync("backends", "Backends");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset b1" }).ClickAsync();
        var curl = session.LatestActivity.Locator("code.curl");
        await Expect(curl).ToHaveTextAsync($"curl -s -X POST -H \"Authorization: Bearer $ADM_TOKEN\" '{new Uri(balancer.Admin.BaseAddress!, "/backend/reset/b1")}'");
        Assert.DoesNotContain(_admin, await curl.TextContentAsync(), StringComparison.Ordinal);
        session.AssertNoProblems(401);
    }

    [Fact]
    public async Task TokenRejectedLater_401_BackToSignIn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await page.GotoAsync("/");
        await SignInAsync(page, _admin);
        await Expect(page.Locator("#role-badge")).ToHaveTextAsync("admin");

        // As if the operator rotated the token: the tab's stored one is no longer accepted on the next poll.
        await page.EvaluateAsync("sessionStorage.setItem('wsbalancer.adminToken', 'rotated-' + 'x'.repeat(24))");

        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(page.Locator("#signin-error")).ToHaveTextAsync("The server refused the token (401). Sign in again.");
        await Expect(page.Locator("#view-overview")).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('wsbalancer.adminToken')"));
        session.AssertNoProblems(401);
    }

    [Fact]
    public async Task ReadToken_ActionsHidden_ForcedActionGets403()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);
        var client = await balancer.ConnectAsync("/reader", ct);
        await using var session = await PageSession.OpenAsync(browser, balancer.Admin.BaseAddress!);
        var page = session.Page;
        await page.GotoAsync("/");
        await SignInAsync(page, _read);
        await Expect(page.Locator("#role-badge")).ToHaveTextAsync("read-only");

        await Expect(page.Locator("[data-tile='sessions'] .value")).ToHaveTextAsync("1");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToHaveCountAsync(0);

        await session.ShowAsync("backends", "Backends");
        await Expect(page.Locator("tr[data-backend-id='b1']")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Config b1" })).ToBeVisibleAsync(); // reading stays
        foreach (var action in new[] { "Disable b1", "Reset b1", "Fail over b1", "Delete b1" })
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = action })).ToHaveCountAsync(0);
        }

        await Expect(page.Locator("#backend-add")).ToBeHiddenAsync();

        await session.ShowAsync("sessions", "Sessions");
        await Expect(page.Locator("#sessions-table tbody tr")).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Abort" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Fail over" })).ToHaveCountAsync(0);

        // Hiding is a courtesy: the server refuses the read token's action whatever the page shows.
        var status = await page.EvaluateAsync<int>("""
            async () => (await fetch('/backend/disable/b1', { method: 'POST', headers: { Authorization: `Bearer ${sessionStorage.getItem('wsbalancer.adminToken')}` } })).status
            """);
        Assert.Equal(403, status);
        var forced = await balancer.PostRawAsync("/backend/disable/b1", ct, authorization: AdminHttp.Bearer(_read));
        Assert.Equal("""{"result":"failed","reason":"ReadOnlyToken"}""", forced.Body);
        var backends = await balancer.GetAsync("/backend/list", ct, AdminHttp.Bearer(_admin));
        Assert.True(backends.Json[0].GetProperty("enabled").GetBoolean());
        await client.AssertEchoAsync("unharmed", ct);
        session.AssertNoProblems(401, 403);
    }
}

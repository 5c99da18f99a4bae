using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace WsBalancer.Browser.Tests.Support;

/// <summary>
/// One browser context and page on the balancer's admin page, recording what must never happen: console errors,
/// uncaught exceptions and Content-Security-Policy violations.
/// </summary>
public sealed class PageSession : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly ConcurrentQueue<string> _problems = new();

    private PageSession(IBrowserContext context, IPage page, Uri adminUri)
    {
        _context = context;
        Page = page;
        AdminUri = adminUri;
    }

    public IPage Page { get; }

    public Uri AdminUri { get; }

    /// <summary>Console errors, page errors and CSP violations seen so far.</summary>
    public IReadOnlyCollection<string> Problems => _problems;

    public static async Task<PageSession> OpenAsync(BrowserFixture browser, Uri adminUri, ColorScheme scheme = ColorScheme.Light, int width = 1280, int height = 800)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ColorScheme = scheme,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            BaseURL = adminUri.ToString(),
        });
        context.SetDefaultTimeout(10_000);
        var page = await context.NewPageAsync();
        var session = new PageSession(context, page, adminUri);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                session._problems.Enqueue($"console: {message.Text}");
            }
        };
        page.PageError += (_, error) => session._problems.Enqueue($"page error: {error}");
        await page.ExposeFunctionAsync("__wsbCspViolation", (string text) => session._problems.Enqueue($"CSP: {text}"));
        // Runs before the page's own scripts, so a violation while loading is caught too.
        await page.AddInitScriptAsync("""
            document.addEventListener('securitypolicyviolation', (e) =>
              window.__wsbCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));
            """);
        return session;
    }

    /// <summary>Opens the page at a view (<c>overview</c>, <c>backends</c>, …) and waits until that view is shown.</summary>
    public async Task GotoAsync(string view = "overview")
    {
        await Page.GotoAsync($"/#{view}");
        await Assertions.Expect(Page.Locator($"#view-{view}")).ToBeVisibleAsync();
    }

    /// <summary>Switches view with the navigation, as an operator does.</summary>
    public async Task ShowAsync(string view, string linkName)
    {
        await Page.GetByRole(AriaRole.Navigation, new() { Name = "Views" }).GetByRole(AriaRole.Link, new() { Name = linkName }).ClickAsync();
        await Assertions.Expect(Page.Locator($"#view-{view}")).ToBeVisibleAsync();
    }

    /// <summary>The newest line of the activity log.</summary>
    public ILocator LatestActivity => Page.Locator("#activity-log li").First;

    /// <summary>
    /// Fails on any console error, page error or CSP violation. A test that provokes API errors on purpose names their
    /// statuses: Chromium logs every 4xx answer to fetch as a console error, and only those lines are then accepted.
    /// </summary>
    public void AssertNoProblems(params int[] provokedStatuses)
    {
        var expected = provokedStatuses.Select(status => $"console: Failed to load resource: the server responded with a status of {status} ").ToArray();
        var problems = _problems.Where(p => !expected.Any(e => p.StartsWith(e, StringComparison.Ordinal))).ToList();
        Assert.True(problems.Count == 0, "The page reported problems:\n" + string.Join("\n", problems));
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}

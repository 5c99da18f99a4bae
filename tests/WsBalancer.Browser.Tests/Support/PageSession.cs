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
    /// Presses Tab (Shift+Tab with <paramref name="backwards"/>) until <paramref name="target"/> has the focus, as an
    /// operator without a mouse does; fails when it is not reached within <paramref name="maxPresses"/>.
    /// </summary>
    public async Task TabToAsync(ILocator target, bool backwards = false, int maxPresses = 40)
    {
        for (var i = 0; i < maxPresses; i++)
        {
            await Page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
            {
                return;
            }
        }

        var focused = await Page.EvaluateAsync<string>("(e => e ? `${e.tagName} ${e.getAttribute('aria-label') ?? e.id ?? ''}` : 'nothing')(document.activeElement)");
        Assert.Fail($"{maxPresses} presses of {(backwards ? "Shift+Tab" : "Tab")} never reached {target}; the focus is on {focused}");
    }

    /// <summary>Asserts that the focused element is <paramref name="target"/> and that it shows the page's focus ring.</summary>
    public static async Task AssertFocusVisibleAsync(ILocator target)
    {
        await Assertions.Expect(target).ToBeFocusedAsync();
        var ring = await target.EvaluateAsync<string>("e => e.matches(':focus-visible') ? `${getComputedStyle(e).outlineStyle} ${getComputedStyle(e).outlineWidth}` : 'not focus-visible'");
        Assert.Equal("solid 3px", ring);
    }

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

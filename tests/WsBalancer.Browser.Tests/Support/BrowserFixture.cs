using Microsoft.Playwright;

namespace WsBalancer.Browser.Tests.Support;

/// <summary>
/// One headless Chromium for the whole test assembly (starting it is the slow part); each test opens its own context, so
/// no cookie, storage or permission leaks from one test into the next. Debian's chromium is used: nothing is downloaded.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's standard location of its chromium package (test.sh installs it when missing).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    public async ValueTask InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install Debian's chromium package (./test.sh does so).");
        // Auto-waiting assertions: bounded, and generous for a loaded 2-core machine.
        Assertions.SetDefaultExpectTimeout(10_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Containers often run as root without a user namespace for Chromium's sandbox.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>
/// Tests with a time bound (a session on screen within 2 s, list answers under 200 ms) run here, alone: the other
/// classes run two at a time, and their load would measure the machine, not the page.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "timed";
}

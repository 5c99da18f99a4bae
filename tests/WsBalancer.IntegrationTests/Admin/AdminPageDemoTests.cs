using System.Net;
using WsBalancer.IntegrationTests.Process;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>The demo, the README's first command, points at the web page, and the page is there.</summary>
public sealed class AdminPageDemoTests
{
    [Fact]
    public async Task Demo_PrintsThePageAddress_WhichServesThePage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = HostProcess.Start(["--demo", "--server:frontend:address=127.0.0.1:0", "--server:admin:address=127.0.0.1:0"]);
        var (_, admin) = await host.WaitForListeningAsync(ct);
        await WaitForLineAsync(host, "Press Ctrl+C", ct);

        Assert.Contains(host.StandardOutput, line => line.Contains($"Web page:   open {admin} in a browser", StringComparison.Ordinal));
        var page = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/", ct);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("<title>WsBalancer admin</title>", page.Body, StringComparison.Ordinal);
    }

    private static async Task WaitForLineAsync(HostProcess host, string text, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (!host.StandardOutput.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            await Task.Delay(20, timeout.Token); // the welcome is printed right after the listening line: polled, bounded
        }
    }
}

using Microsoft.Extensions.Logging;

namespace WsBalancer.IntegrationTests.Hosting;

/// <summary>What the balancer's logging lets through, at the levels an operator sets.</summary>
public sealed class LoggingTests
{
    [Theory]
    [InlineData("ERROR")]
    [InlineData("DEBUG")]
    public async Task HostingRequestDiagnostics_Off_KestrelErrorsStillLogged(string level)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { LoggingLevel = level });
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.AssertEchoAsync("x", ct);

        // Enabled at any level, hosting keeps an Activity and a log scope for every request, for a WebSocket as long
        // as the session (about 600 bytes and 9 objects each, measured with a heap dump of 4 000 idle sessions).
        Assert.False(balancer.LoggerFactory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical));
        Assert.True(balancer.LoggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Error));
        Assert.Equal(level == "DEBUG", balancer.LoggerFactory.CreateLogger("WsBalancer.Host.Sessions").IsEnabled(LogLevel.Debug));
    }
}

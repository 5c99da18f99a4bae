namespace WsBalancer.Templates.Tests;

/// <summary>The deadline every CLI run of these tests relies on.</summary>
public sealed class DotnetCliTests
{
    [Fact]
    public async Task RunAsync_PastDeadline_KilledAndReportedAsTimedOut()
    {
        var ct = TestContext.Current.CancellationToken;
        using var hive = new TempDirectory("hive");

        // A fresh hive makes `dotnet new list` scan every built-in template: far longer than the deadline.
        var result = await DotnetCli.RunAsync(
            hive.Path, ["new", "list", "--debug:custom-hive", hive.Path], TimeSpan.FromMilliseconds(200), ct);

        Assert.Equal(CliResult.TimedOut, result.ExitCode);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"the kill took {result.Elapsed}");
        var failure = Assert.ThrowsAny<Exception>(() => result.AssertSucceeded());
        Assert.Contains("timed out and was killed", failure.Message, StringComparison.Ordinal);
    }
}

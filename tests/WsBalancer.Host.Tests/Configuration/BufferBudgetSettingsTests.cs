using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.buffer-budget (BUFFER_BUDGET): a quarter of memory by default, a size or a percentage, refusals naming the key.</summary>
public sealed class BufferBudgetSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_AQuarterOfTheMemoryTheProcessMayUse()
    {
        AssertNear(BufferBudgetText.AvailableMemory / 4, _sandbox.Load().Server.BufferBudget);
    }

    [Theory]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("1MiB", 1L << 20)]
    [InlineData("500 MB", 500_000_000L)]
    public void Load_Size_Taken(string value, long bytes)
    {
        _sandbox.Environment["BUFFER_BUDGET"] = value;

        Assert.Equal(bytes, _sandbox.Load().Server.BufferBudget);
    }

    [Fact]
    public void Load_Percentage_OfTheMemoryTheProcessMayUse()
    {
        AssertNear(BufferBudgetText.AvailableMemory / 10, _sandbox.LoadYaml("server: { buffer-budget: 10% }").Server.BufferBudget);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1000KB")] // under 1 MiB
    [InlineData("0%")]
    [InlineData("95%")]
    [InlineData("-5%")]
    [InlineData("12.5%")]
    [InlineData("lots")]
    public void Load_BadValue_ErrorNamesTheVariable(string value)
    {
        _sandbox.Environment["BUFFER_BUDGET"] = value;

        var error = _sandbox.LoadFails("BUFFER_BUDGET", value);

        Assert.Contains("percentage of the process's memory from 1% to 90%", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadYamlValue_ErrorNamesTheKey()
    {
        _sandbox.LoadYamlFails("server: { buffer-budget: all }", "server.buffer-budget", "all");
    }

    [Fact]
    public void Help_ListsTheSettingWithItsVariableAndDefault()
    {
        var line = Assert.Single(HelpText.Build().Split('\n'), l => l.TrimStart().StartsWith("server.buffer-budget ", StringComparison.Ordinal));

        Assert.Contains("BUFFER_BUDGET", line, StringComparison.Ordinal);
        Assert.Contains("25% of memory", line, StringComparison.Ordinal);
    }

    // The runtime's figure may move a little between two readings (a container's limit does not, the machine's may).
    private static void AssertNear(long expected, long actual) =>
        Assert.InRange(actual, expected - (expected / 100), expected + (expected / 100));
}

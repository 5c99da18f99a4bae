using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.drain-timeout (DRAIN_TIMEOUT): default, sources, zero, refusals.</summary>
public sealed class DrainTimeoutSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1001) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_ThirtySeconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), _sandbox.Load().Server.DrainTimeout);
    }

    [Fact]
    public void Load_EnvironmentVariable_Set()
    {
        var seconds = _faker.Random.Int(1, 3600);
        _sandbox.Environment["DRAIN_TIMEOUT"] = $"{seconds}s";

        Assert.Equal(TimeSpan.FromSeconds(seconds), _sandbox.Load().Server.DrainTimeout);
    }

    [Fact]
    public void Load_Yaml_SetAndEnvironmentOverridesIt()
    {
        Assert.Equal(TimeSpan.FromSeconds(90), _sandbox.LoadYaml("server: { drain-timeout: 1m30s }").Server.DrainTimeout);

        _sandbox.Environment["DRAIN_TIMEOUT"] = "2s";

        Assert.Equal(TimeSpan.FromSeconds(2), _sandbox.LoadYaml("server: { drain-timeout: 1m30s }").Server.DrainTimeout);
    }

    [Theory]
    [InlineData("--server:drain-timeout=0s", 0)]
    [InlineData("--server:drain-timeout=0", 0)]
    [InlineData("--server:drain-timeout=500ms", 500)]
    public void Load_ZeroAndShortValues_Accepted(string argument, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), _sandbox.Load(argument).Server.DrainTimeout);
    }

    [Theory]
    [InlineData("-1s")]
    [InlineData("soon")]
    [InlineData("30")]
    [InlineData("600h")]
    public void Load_BadEnvironmentValue_ErrorNamesTheVariable(string value)
    {
        _sandbox.Environment["DRAIN_TIMEOUT"] = value;

        var error = _sandbox.LoadFails("DRAIN_TIMEOUT", value);

        Assert.StartsWith("a Go duration from 0s", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadYamlValue_ErrorNamesTheKey()
    {
        _sandbox.LoadYamlFails("server: { drain-timeout: forever }", "server.drain-timeout", "forever");
    }

    [Fact]
    public void Help_ListsTheSettingWithItsVariableAndDefault()
    {
        var line = Assert.Single(HelpText.Build().Split('\n'), l => l.TrimStart().StartsWith("server.drain-timeout ", StringComparison.Ordinal));

        Assert.Contains(" DRAIN_TIMEOUT ", line, StringComparison.Ordinal);
        Assert.Contains(" 30s ", line, StringComparison.Ordinal);
    }
}

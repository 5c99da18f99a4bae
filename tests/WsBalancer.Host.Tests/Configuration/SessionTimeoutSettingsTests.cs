using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.idle-timeout (IDLE_TIMEOUT) and server.stall-timeout (STALL_TIMEOUT): defaults, sources, zero, refusals.</summary>
public sealed class SessionTimeoutSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1121) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_IdleOffAndStallSixtySeconds()
    {
        var server = _sandbox.Load().Server;

        Assert.Equal(TimeSpan.Zero, server.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), server.StallTimeout);
    }

    [Theory]
    [InlineData("IDLE_TIMEOUT")]
    [InlineData("STALL_TIMEOUT")]
    public void Load_EnvironmentVariable_Set(string variable)
    {
        var seconds = _faker.Random.Int(1, 3600);
        _sandbox.Environment[variable] = $"{seconds}s";

        Assert.Equal(TimeSpan.FromSeconds(seconds), Read(_sandbox.Load().Server, variable));
    }

    [Theory]
    [InlineData("idle-timeout", "IDLE_TIMEOUT")]
    [InlineData("stall-timeout", "STALL_TIMEOUT")]
    public void Load_Yaml_SetAndEnvironmentOverridesIt(string key, string variable)
    {
        Assert.Equal(TimeSpan.FromSeconds(90), Read(_sandbox.LoadYaml($"server: {{ {key}: 1m30s }}").Server, variable));

        _sandbox.Environment[variable] = "2s";

        Assert.Equal(TimeSpan.FromSeconds(2), Read(_sandbox.LoadYaml($"server: {{ {key}: 1m30s }}").Server, variable));
    }

    [Theory]
    [InlineData("idle-timeout", "IDLE_TIMEOUT", "0")]
    [InlineData("idle-timeout", "IDLE_TIMEOUT", "0s")]
    [InlineData("stall-timeout", "STALL_TIMEOUT", "0")]
    [InlineData("stall-timeout", "STALL_TIMEOUT", "0s")]
    public void Load_Zero_TurnsItOff(string key, string variable, string value)
    {
        Assert.Equal(TimeSpan.Zero, Read(_sandbox.Load($"--server:{key}={value}").Server, variable));
    }

    [Theory]
    [InlineData("idle-timeout", "IDLE_TIMEOUT")]
    [InlineData("stall-timeout", "STALL_TIMEOUT")]
    public void Load_ShortValue_Accepted(string key, string variable)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), Read(_sandbox.Load($"--server:{key}=500ms").Server, variable));
    }

    [Theory]
    [InlineData("IDLE_TIMEOUT", "-1s")]
    [InlineData("IDLE_TIMEOUT", "soon")]
    [InlineData("IDLE_TIMEOUT", "30")]
    [InlineData("STALL_TIMEOUT", "-5s")]
    [InlineData("STALL_TIMEOUT", "never")]
    [InlineData("STALL_TIMEOUT", "600h")]
    public void Load_BadEnvironmentValue_ErrorNamesTheVariable(string variable, string value)
    {
        _sandbox.Environment[variable] = value;

        var error = _sandbox.LoadFails(variable, value);

        Assert.StartsWith("a Go duration from 0s", error.Expected, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("idle-timeout")]
    [InlineData("stall-timeout")]
    public void Load_BadYamlValue_ErrorNamesTheKey(string key)
    {
        _sandbox.LoadYamlFails($"server: {{ {key}: forever }}", $"server.{key}", "forever");
    }

    [Theory]
    [InlineData("server.idle-timeout ", " IDLE_TIMEOUT ", " 0s ")]
    [InlineData("server.stall-timeout ", " STALL_TIMEOUT ", " 1m0s ")]
    public void Help_ListsTheSettingWithItsVariableAndDefault(string key, string variable, string defaultValue)
    {
        var line = Assert.Single(HelpText.Build().Split('\n'), l => l.TrimStart().StartsWith(key, StringComparison.Ordinal));

        Assert.Contains(variable, line, StringComparison.Ordinal);
        Assert.Contains(defaultValue, line, StringComparison.Ordinal);
    }

    private static TimeSpan Read(ServerSettings server, string variable) =>
        variable == "IDLE_TIMEOUT" ? server.IdleTimeout : server.StallTimeout;
}

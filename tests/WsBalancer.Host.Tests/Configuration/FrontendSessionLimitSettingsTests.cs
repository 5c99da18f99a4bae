using System.Globalization;
using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.frontend.max-sessions and -per-address (FE_MAX_SESSIONS, FE_MAX_SESSIONS_PER_ADDR): defaults, sources, refusals.</summary>
public sealed class FrontendSessionLimitSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1009) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_NoGlobalLimitAndAThousandPerAddress()
    {
        var server = _sandbox.Load().Server;

        Assert.Equal(0, server.FrontendMaxSessions);
        Assert.Equal(1000, server.FrontendMaxSessionsPerAddress);
    }

    [Fact]
    public void Load_EnvironmentVariables_Set()
    {
        var sessions = _faker.Random.Int(1, 100_000);
        var perAddress = _faker.Random.Int(1, 5_000);
        _sandbox.Environment["FE_MAX_SESSIONS"] = sessions.ToString(CultureInfo.InvariantCulture);
        _sandbox.Environment["FE_MAX_SESSIONS_PER_ADDR"] = perAddress.ToString(CultureInfo.InvariantCulture);

        var server = _sandbox.Load().Server;

        Assert.Equal(sessions, server.FrontendMaxSessions);
        Assert.Equal(perAddress, server.FrontendMaxSessionsPerAddress);
    }

    [Fact]
    public void Load_Yaml_SetAndEnvironmentOverridesIt()
    {
        _sandbox.Environment["FE_MAX_SESSIONS_PER_ADDR"] = "7";

        var server = _sandbox.LoadYaml("server: { frontend: { max-sessions: 300, max-sessions-per-address: 30 } }").Server;

        Assert.Equal(300, server.FrontendMaxSessions);
        Assert.Equal(7, server.FrontendMaxSessionsPerAddress);
    }

    [Theory]
    [InlineData("--server:frontend:max-sessions=0", 0, 1000)]
    [InlineData("--server:frontend:max-sessions=1", 1, 1000)]
    [InlineData("--server:frontend:max-sessions-per-address=0", 0, 0)]
    [InlineData("--server:frontend:max-sessions-per-address=2147483647", 0, int.MaxValue)]
    public void Load_EdgeValues_Accepted(string argument, int sessions, int perAddress)
    {
        var server = _sandbox.Load(argument).Server;

        Assert.Equal(sessions, server.FrontendMaxSessions);
        Assert.Equal(perAddress, server.FrontendMaxSessionsPerAddress);
    }

    [Theory]
    [InlineData("FE_MAX_SESSIONS", "-1")]
    [InlineData("FE_MAX_SESSIONS", "many")]
    [InlineData("FE_MAX_SESSIONS", "1.5")]
    [InlineData("FE_MAX_SESSIONS", "2147483648")]
    [InlineData("FE_MAX_SESSIONS_PER_ADDR", "-1000")]
    [InlineData("FE_MAX_SESSIONS_PER_ADDR", "1k")]
    public void Load_BadEnvironmentValue_ErrorNamesTheVariable(string variable, string value)
    {
        _sandbox.Environment[variable] = value;

        var error = _sandbox.LoadFails(variable, value);

        Assert.Equal("an integer of at least 0", error.Expected);
    }

    [Theory]
    [InlineData("max-sessions: -3", "server.frontend.max-sessions", "-3")]
    [InlineData("max-sessions-per-address: lots", "server.frontend.max-sessions-per-address", "lots")]
    public void Load_BadYamlValue_ErrorNamesTheKey(string setting, string key, string value)
    {
        _sandbox.LoadYamlFails($"server: {{ frontend: {{ {setting} }} }}", key, value);
    }

    [Fact]
    public void Help_ListsTheSettingsWithTheirVariablesAndDefaults()
    {
        var help = HelpText.Build().Split('\n');

        foreach (var (key, variable, defaultValue) in new[]
        {
            ("server.frontend.max-sessions", "FE_MAX_SESSIONS", "0"),
            ("server.frontend.max-sessions-per-address", "FE_MAX_SESSIONS_PER_ADDR", "1000"),
        })
        {
            var line = Assert.Single(help, l => l.TrimStart().StartsWith(key + " ", StringComparison.Ordinal));
            Assert.Contains($" {variable} ", line, StringComparison.Ordinal);
            Assert.Contains($" {defaultValue} ", line, StringComparison.Ordinal);
        }
    }
}

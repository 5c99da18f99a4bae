using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.admin.auth-failure-limit, -window and -addresses (ADM_AUTH_FAILURE_*): defaults, sources, refusals.</summary>
public sealed class AdminAuthFailureSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1704) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_TenPerMinuteOverTenThousandAddresses()
    {
        var server = _sandbox.Load().Server;

        Assert.Equal(10, server.AdminAuthFailureLimit);
        Assert.Equal(TimeSpan.FromMinutes(1), server.AdminAuthFailureWindow);
        Assert.Equal(10_000, server.AdminAuthFailureAddresses);
    }

    [Fact]
    public void Load_EnvironmentVariables_Set()
    {
        var limit = _faker.Random.Int(1, 100);
        var addresses = _faker.Random.Int(1, 50_000);
        _sandbox.Environment["ADM_AUTH_FAILURE_LIMIT"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _sandbox.Environment["ADM_AUTH_FAILURE_WINDOW"] = "1m30s";
        _sandbox.Environment["ADM_AUTH_FAILURE_ADDRESSES"] = addresses.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var server = _sandbox.Load().Server;

        Assert.Equal(limit, server.AdminAuthFailureLimit);
        Assert.Equal(TimeSpan.FromSeconds(90), server.AdminAuthFailureWindow);
        Assert.Equal(addresses, server.AdminAuthFailureAddresses);
    }

    [Fact]
    public void Load_Yaml_SetAndEnvironmentOverridesIt()
    {
        _sandbox.Environment["ADM_AUTH_FAILURE_LIMIT"] = "7";

        var server = _sandbox.LoadYaml("server: { admin: { auth-failure-limit: 3, auth-failure-window: 30s, auth-failure-addresses: 500 } }").Server;

        Assert.Equal(7, server.AdminAuthFailureLimit);
        Assert.Equal(TimeSpan.FromSeconds(30), server.AdminAuthFailureWindow);
        Assert.Equal(500, server.AdminAuthFailureAddresses);
    }

    [Theory]
    [InlineData("--server:admin:auth-failure-limit=0")]
    [InlineData("--server:admin:auth-failure-window=1s")]
    [InlineData("--server:admin:auth-failure-window=24h")]
    [InlineData("--server:admin:auth-failure-addresses=1")]
    public void Load_EdgeValues_Accepted(string argument)
    {
        _sandbox.Load(argument);
    }

    [Theory]
    [InlineData("ADM_AUTH_FAILURE_LIMIT", "-1", "an integer from 0 to 1000000")]
    [InlineData("ADM_AUTH_FAILURE_LIMIT", "ten", "an integer from 0 to 1000000")]
    [InlineData("ADM_AUTH_FAILURE_LIMIT", "1000001", "an integer from 0 to 1000000")]
    [InlineData("ADM_AUTH_FAILURE_WINDOW", "0s", "a Go duration from 1s to 24h0m0s, such as 1m or 30s")]
    [InlineData("ADM_AUTH_FAILURE_WINDOW", "500ms", "a Go duration from 1s to 24h0m0s, such as 1m or 30s")]
    [InlineData("ADM_AUTH_FAILURE_WINDOW", "25h", "a Go duration from 1s to 24h0m0s, such as 1m or 30s")]
    [InlineData("ADM_AUTH_FAILURE_WINDOW", "soon", "a Go duration from 1s to 24h0m0s, such as 1m or 30s")]
    [InlineData("ADM_AUTH_FAILURE_ADDRESSES", "0", "an integer from 1 to 1000000")]
    [InlineData("ADM_AUTH_FAILURE_ADDRESSES", "lots", "an integer from 1 to 1000000")]
    public void Load_BadEnvironmentValue_ErrorNamesTheVariable(string variable, string value, string expected)
    {
        _sandbox.Environment[variable] = value;

        var error = _sandbox.LoadFails(variable, value);

        Assert.Equal(expected, error.Expected);
    }

    [Theory]
    [InlineData("auth-failure-limit: -5", "server.admin.auth-failure-limit", "-5")]
    [InlineData("auth-failure-window: 2d", "server.admin.auth-failure-window", "2d")]
    [InlineData("auth-failure-addresses: 0", "server.admin.auth-failure-addresses", "0")]
    public void Load_BadYamlValue_ErrorNamesTheKey(string setting, string key, string value)
    {
        _sandbox.LoadYamlFails($"server: {{ admin: {{ {setting} }} }}", key, value);
    }

    [Fact]
    public void Help_ListsTheSettingsWithTheirVariablesAndDefaults()
    {
        var help = HelpText.Build().Split('\n');

        foreach (var (key, variable, defaultValue) in new[]
        {
            ("server.admin.auth-failure-limit", "ADM_AUTH_FAILURE_LIMIT", "10"),
            ("server.admin.auth-failure-window", "ADM_AUTH_FAILURE_WINDOW", "1m0s"),
            ("server.admin.auth-failure-addresses", "ADM_AUTH_FAILURE_ADDRESSES", "10000"),
        })
        {
            var line = Assert.Single(help, l => l.TrimStart().StartsWith(key + " ", StringComparison.Ordinal));
            Assert.Contains(variable, line, StringComparison.Ordinal);
            Assert.Contains(defaultValue, line, StringComparison.Ordinal);
        }
    }
}

using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class CommandLineTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();

    public CommandLineTests()
    {
        _sandbox.WriteYaml("server: { reconnect-header: X-From-File }");
    }

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData("--config", "balancer.yml")]
    [InlineData("-config", "balancer.yml")]
    [InlineData("--config=balancer.yml")]
    [InlineData("-config=balancer.yml")]
    public void Load_ConfigFlagSpellings_ReadFile(params string[] args)
    {
        Assert.Equal("X-From-File", _sandbox.Load(args).Server.ReconnectHeader);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-help")]
    [InlineData("-h")]
    [InlineData("--help=true")]
    [InlineData("--config", "missing.yml", "--help")]
    [InlineData("--unknown", "-h")]
    public void Load_HelpFlag_RequestsHelpWithDefaults(params string[] args)
    {
        _sandbox.Environment["FE_ADDR"] = "not an address";

        var result = BalancerConfiguration.Load(args, _sandbox.Environment, _sandbox.BaseDirectory);

        Assert.True(result.HelpRequested);
        Assert.Equal(new ListenAddress("", 8080), result.Settings.Server.Frontend.Address);
    }

    [Fact]
    public void Load_HelpFalse_DoesNotRequestHelp()
    {
        Assert.Equal("X-Balancer-Reconnect", _sandbox.Load("-help=false").Server.ReconnectHeader);
    }

    [Theory]
    [InlineData(new[] { "--demo" }, true)]
    [InlineData(new[] { "-demo" }, true)]
    [InlineData(new[] { "--demo=false" }, false)]
    [InlineData(new string[0], false)]
    public void Load_DemoFlag_SetsDemo(string[] args, bool expected)
    {
        Assert.Equal(expected, _sandbox.Load(args).Demo);
    }

    [Fact]
    public void Load_DemoWithConfig_KeepsBoth()
    {
        var settings = _sandbox.Load("--demo", "--config", "balancer.yml");

        Assert.True(settings.Demo);
        Assert.Equal("X-From-File", settings.Server.ReconnectHeader);
    }

    [Theory]
    [InlineData("--server:frontend:address=:9000")]
    [InlineData("--server:frontend:address", ":9000")]
    [InlineData("--SERVER:Frontend:Address=:9000")]
    public void Load_SectionKeyOverride_SetsValue(params string[] args)
    {
        Assert.Equal(new ListenAddress("", 9000), _sandbox.Load(args).Server.Frontend.Address);
    }

    [Fact]
    public void Load_OverrideWithWiteTimeoutAlias_SetsWriteTimeout()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), _sandbox.Load("--server:admin:wite-timeout=3s").Server.Admin.WriteTimeout);
    }

    [Fact]
    public void Load_OverrideBackendFields_DefinesBackend()
    {
        var settings = _sandbox.Load("--upstream:backends:0:url=ws://localhost:7000", "--upstream:backends:0:ping-time", "30s");

        var backend = Assert.Single(settings.Backends);
        Assert.Equal("localhost-7000", backend.Id);
        Assert.Equal(TimeSpan.FromSeconds(30), backend.PingTime);
    }

    [Theory]
    [InlineData("--data-directory", "--data-directory", "x")]
    [InlineData("-verbose", "-verbose")]
    [InlineData("--verbose", "--verbose=true")]
    [InlineData("positional", "positional")]
    [InlineData("-:a", "-:a=b")]
    [InlineData("--:a", "--:a=b")]
    public void Load_UnknownArgument_ErrorNamesFlag(string expectedKey, params string[] args)
    {
        var error = _sandbox.LoadFails(expectedKey, null, args);

        Assert.Contains(CommandLineArguments.Expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--config")]
    [InlineData("-config")]
    [InlineData("--config=")]
    public void Load_ConfigWithoutValue_ErrorNamesConfig(string arg)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => _sandbox.Load(arg));

        Assert.Equal("--config", error.Key);
        Assert.Contains("--config", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OverrideWithoutValue_ErrorNamesOverride()
    {
        _sandbox.LoadFails("--server:frontend:address", null, "--server:frontend:address");
    }

    [Fact]
    public void Load_OverrideWithBadValue_ErrorNamesYamlPath()
    {
        _sandbox.LoadFails("server.frontend.address", "nowhere", "--server:frontend:address=nowhere");
    }

    [Fact]
    public void Load_BadDemoValue_ErrorNamesDemo()
    {
        _sandbox.LoadFails("--demo", "maybe", "--demo=maybe");
    }
}

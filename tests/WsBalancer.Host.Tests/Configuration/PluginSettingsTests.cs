using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Plugins;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.plugins-dir, upstream.dialer, plugins.order and plugins.&lt;Name&gt;.</summary>
public sealed class PluginSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1400) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_PluginsUnderBaseDirectoryBuiltInDialerNoEntries()
    {
        var plugins = _sandbox.Load().Plugins;

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "plugins"), plugins.Directory);
        Assert.Equal(PluginSettings.BuiltInDialer, plugins.Dialer);
        Assert.Null(plugins.DialerPlugin);
        Assert.Empty(plugins.Order);
        Assert.Empty(plugins.Entries);
    }

    [Theory]
    [InlineData("--plugins-dir", "extensions")]
    [InlineData("--plugins-dir=extensions")]
    [InlineData("-plugins-dir", "extensions")]
    [InlineData("--server:plugins-dir=extensions")]
    public void Load_PluginsDirOnCommandLine_ResolvedAgainstBaseDirectory(params string[] args)
    {
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "extensions"), _sandbox.Load(args).Plugins.Directory);
    }

    [Fact]
    public void Load_PluginsDirEnvironment_YamlLosesToIt()
    {
        _sandbox.Environment["PLUGINS_DIR"] = "/opt/wsb/plugins";

        Assert.Equal("/opt/wsb/plugins", _sandbox.LoadYaml("server: { plugins-dir: from-yaml }").Plugins.Directory);
    }

    [Fact]
    public void Load_PluginsDirFlagWithoutValue_FailsNamingTheFlag()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => _sandbox.Load("--plugins-dir"));

        Assert.Equal(CommandLineArguments.PluginsDirectoryFlag, error.Key);
    }

    [Fact]
    public void Load_PluginSections_EnabledSettingsAndOrderRead()
    {
        var url = _faker.Internet.UrlWithPath("http");
        var plugins = _sandbox.LoadYaml($$"""
            upstream:
              dialer: HttpBridge/HttpBridgeDialer
            plugins:
              order: [RateLimit, SessionAudit]
              HttpBridge:
                settings:
                  url: {{url}}
                  limits:
                    max-in-flight: 8
              RateLimit:
                enabled: false
            """).Plugins;

        Assert.Equal("HttpBridge/HttpBridgeDialer", plugins.Dialer);
        Assert.Equal("HttpBridge", plugins.DialerPlugin);
        Assert.Equal(["RateLimit", "SessionAudit"], plugins.Order);
        var bridge = plugins.For("httpbridge");
        Assert.Null(bridge.Enabled);
        Assert.Equal(url, bridge.Settings["URL"]);
        Assert.Equal("8", bridge.Settings["limits:max-in-flight"]);
        Assert.False(plugins.For("ratelimit").Enabled);
        Assert.Same(PluginEntrySettings.None, plugins.For("Other"));
    }

    [Fact]
    public void Load_PluginSettingFromEnvironmentAndCommandLine_Layered()
    {
        _sandbox.Environment["WSB__plugins__RateLimit__settings__burst"] = "5";

        var plugins = _sandbox.LoadYaml("plugins: { RateLimit: { settings: { burst: 1, messages-per-second: 2 } } }", "--plugins:ratelimit:settings:messages-per-second=9").Plugins;

        Assert.Equal("5", plugins.For("RateLimit").Settings["burst"]);
        Assert.Equal("9", plugins.For("RateLimit").Settings["messages-per-second"]);
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("WebSocket")]
    public void Load_DialerBuiltInName_IsTheDefault(string name)
    {
        Assert.Null(_sandbox.LoadYaml($"upstream: {{ dialer: {name} }}").Plugins.DialerPlugin);
    }

    [Theory]
    [InlineData("HttpBridge")]
    [InlineData("/HttpBridgeDialer")]
    [InlineData("HttpBridge/")]
    [InlineData("a/b/c")]
    [InlineData("bad name/Type")]
    public void Load_DialerMalformed_FailsNamingTheKey(string value)
    {
        _sandbox.LoadYamlFails($"upstream: {{ dialer: '{value}' }}", "upstream.dialer", value);
    }

    [Fact]
    public void Load_PluginEnabledNotBoolean_FailsNamingTheKey()
    {
        _sandbox.LoadYamlFails("plugins: { RateLimit: { enabled: maybe } }", "plugins.RateLimit.enabled", "maybe");
    }

    [Fact]
    public void Load_PluginKeyOutsideEnabledAndSettings_FailsNamingIt()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => _sandbox.LoadYaml("plugins: { RateLimit: { burst: 3 } }"));

        Assert.Contains("plugins.RateLimit.burst='3'", error.Message, StringComparison.Ordinal);
        Assert.Contains(".settings.<key>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PluginOrderWithBadName_FailsNamingTheItem()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => _sandbox.LoadYaml("plugins: { order: [Good, 'no good'] }"));

        Assert.Contains("plugins.order[1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_PluginEntryWithSettings_ShowsKeysNotValues()
    {
        var secret = _faker.Internet.Password(24);
        var entry = new PluginEntrySettings { Settings = new Dictionary<string, string> { ["token"] = secret } };

        Assert.DoesNotContain(secret, entry.ToString(), StringComparison.Ordinal);
        Assert.Contains("token", entry.ToString(), StringComparison.Ordinal);
    }
}

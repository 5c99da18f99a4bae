using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.tcp-keepalive: on by default (1 minute), set from YAML or the command line, 0 turns it off, bad values refused.</summary>
public sealed class TcpKeepAliveSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_OneMinute()
    {
        Assert.Equal(TimeSpan.FromMinutes(1), _sandbox.Load().Server.TcpKeepAlive);
    }

    [Fact]
    public void Load_YamlAndCommandLine_SetCommandLineWins()
    {
        Assert.Equal(TimeSpan.FromSeconds(45), _sandbox.LoadYaml("server: { tcp-keepalive: 45s }").Server.TcpKeepAlive);
        Assert.Equal(TimeSpan.FromMinutes(5), _sandbox.LoadYaml("server: { tcp-keepalive: 45s }", "--server:tcp-keepalive=5m").Server.TcpKeepAlive);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0s")]
    public void Load_Zero_TurnsItOff(string value)
    {
        Assert.Equal(TimeSpan.Zero, _sandbox.Load($"--server:tcp-keepalive={value}").Server.TcpKeepAlive);
    }

    [Theory]
    [InlineData("often")]
    [InlineData("-1s")]
    public void Load_BadValue_RefusedNamingTheKey(string value)
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => _sandbox.Load($"--server:tcp-keepalive={value}"));

        Assert.Contains("server.tcp-keepalive", error.Message, StringComparison.Ordinal);
    }
}

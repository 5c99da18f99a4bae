using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class YamlConfigFileTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_NoConfiguration_ReturnsDefaults()
    {
        var settings = _sandbox.Load();

        Assert.Equal(
            new BalancerSettings().Server with { DataDirectory = Path.Combine(_sandbox.BaseDirectory, "data") },
            settings.Server with { BlockHeaders = new BalancerSettings().Server.BlockHeaders });
        var server = settings.Server;
        Assert.Equal(ListenAddress.Parse(":8080"), server.Frontend.Address);
        Assert.Equal(ListenAddress.Parse("127.0.0.1:8081"), server.Admin.Address);
        Assert.Equal(TimeSpan.FromSeconds(10), server.Frontend.ReadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), server.Admin.WriteTimeout);
        Assert.Equal(524_288, server.Frontend.MaxHeaderBytes);
        Assert.Equal(1024, server.ReadBufferSize);
        Assert.Equal(1024, server.WriteBufferSize);
        Assert.True(server.TrustReceivedXff);
        Assert.Empty(server.BlockHeaders);
        Assert.Equal("X-Balancer-Reconnect", server.ReconnectHeader);
        Assert.False(server.EnableInstrumentation);
        Assert.Equal("WARN", server.LoggingLevel);
        Assert.False(server.Compression);
        Assert.Equal(1000, server.MaxPendingMessages);
        Assert.Equal(8L * 1024 * 1024, server.MaxPendingBytes);
        Assert.Equal(4 * 1024 * 1024, server.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), server.FailoverDrainTimeout);
        Assert.Empty(settings.Backends);
        Assert.False(settings.Demo);
    }

    [Fact]
    public void Load_YamlWithEveryKey_ReadsEveryValue()
    {
        var settings = _sandbox.LoadYaml("""
            server:
              frontend: { address: ":9080", read-timeout: 11s, write-timeout: 12s, max-header-bytes: 65536 }
              admin:    { address: "127.0.0.1:9081", read-timeout: 13s, write-timeout: 14s, max-header-bytes: 32768 }
              read-buffer-size: 2048
              write-buffer-size: 4096
              trust-received-xff: false
              block-headers: [X-Secret, Cookie]
              reconnect-header: X-Reconnected
              enable-instrumentation: true
              logging-level: DEBUG
              compression: true
              max-pending-messages: 50
              max-pending-bytes: 8MiB
              max-message-size: 1048576
              failover-drain-timeout: 2.5s
            upstream:
              backends:
                - url: ws://localhost:9090
                  id: b1
                  ping-time: 1m30s
                  handshake-timeout: 3s
                  breaker-threshold: -1
                  pass-headers: [X-Backend, Set-Cookie]
                  abnormal-close-codes: [1001, 1011]
                  read-buffer-size: 512
                  write-buffer-size: 256
                - url: wss://echo.example.org:8443/socket
            """);

        var server = settings.Server;
        Assert.Equal(new ListenAddress("", 9080), server.Frontend.Address);
        Assert.Equal(TimeSpan.FromSeconds(11), server.Frontend.ReadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), server.Frontend.WriteTimeout);
        Assert.Equal(65536, server.Frontend.MaxHeaderBytes);
        Assert.Equal(new ListenAddress("127.0.0.1", 9081), server.Admin.Address);
        Assert.Equal(TimeSpan.FromSeconds(13), server.Admin.ReadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(14), server.Admin.WriteTimeout);
        Assert.Equal(32768, server.Admin.MaxHeaderBytes);
        Assert.Equal(2048, server.ReadBufferSize);
        Assert.Equal(4096, server.WriteBufferSize);
        Assert.False(server.TrustReceivedXff);
        Assert.Equal(["X-Secret", "Cookie"], server.BlockHeaders);
        Assert.Equal("X-Reconnected", server.ReconnectHeader);
        Assert.True(server.EnableInstrumentation);
        Assert.Equal("DEBUG", server.LoggingLevel);
        Assert.True(server.Compression);
        Assert.Equal(50, server.MaxPendingMessages);
        Assert.Equal(8L * 1024 * 1024, server.MaxPendingBytes);
        Assert.Equal(1_048_576, server.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(2.5), server.FailoverDrainTimeout);

        Assert.Equal(2, settings.Backends.Count);
        var first = settings.Backends[0];
        Assert.Equal(new Uri("ws://localhost:9090"), first.Url);
        Assert.Equal("b1", first.Id);
        Assert.Equal(TimeSpan.FromSeconds(90), first.PingTime);
        Assert.Equal(TimeSpan.FromSeconds(3), first.HandshakeTimeout);
        Assert.Equal(-1, first.BreakerThreshold);
        Assert.Equal(["X-Backend", "Set-Cookie"], first.PassHeaders);
        Assert.Equal([1001, 1011], first.AbnormalCloseCodes);
        Assert.Equal(512, first.ReadBufferSize);
        Assert.Equal(256, first.WriteBufferSize);

        var second = settings.Backends[1];
        Assert.Equal(new Uri("wss://echo.example.org:8443/socket"), second.Url);
        Assert.Equal("echo-example-org-8443", second.Id);
        Assert.Equal(TimeSpan.FromMinutes(10), second.PingTime);
        Assert.Equal(TimeSpan.FromSeconds(10), second.HandshakeTimeout);
        Assert.Equal(10, second.BreakerThreshold);
        Assert.Empty(second.PassHeaders);
        Assert.Equal([1001, 1005, 1006, 1011, 1013], second.AbnormalCloseCodes);
        Assert.Equal(1024, second.ReadBufferSize);
        Assert.Equal(1024, second.WriteBufferSize);
    }

    [Fact]
    public void Load_AncestorWiteTimeoutSpelling_SetsWriteTimeout()
    {
        var settings = _sandbox.LoadYaml("""
            server:
              frontend: { wite-timeout: 21s }
              admin: { wite-timeout: 22s }
            """);

        Assert.Equal(TimeSpan.FromSeconds(21), settings.Server.Frontend.WriteTimeout);
        Assert.Equal(TimeSpan.FromSeconds(22), settings.Server.Admin.WriteTimeout);
    }

    [Theory]
    [InlineData("wite-timeout: 1s\n    write-timeout: 2s")]
    [InlineData("write-timeout: 2s\n    wite-timeout: 1s")]
    public void Load_BothWriteTimeoutSpellings_CorrectSpellingWins(string lines)
    {
        var settings = _sandbox.LoadYaml($"server:\n  frontend:\n    {lines}\n");

        Assert.Equal(TimeSpan.FromSeconds(2), settings.Server.Frontend.WriteTimeout);
    }

    [Fact]
    public void Load_AncestorSampleFile_Loads()
    {
        // The shape of the ancestor's testdata files, unknown keys included.
        var settings = _sandbox.LoadYaml("""
            # balancer configuration
            server:
              frontend:
                address: :8080
                read-timeout: 10s
                wite-timeout: 10s
                max-header-bytes: 524288
              admin:
                address: :8081
              logging-level: INFO
              some-future-key: ignored
            upstream:
              unknown-section: { a: 1 }
              backends:
                - url: ws://localhost:9090
                - url: ws://localhost:9091
                  id: second
            """);

        Assert.Equal(new ListenAddress("", 8081), settings.Server.Admin.Address);
        Assert.Equal(["localhost-9090", "second"], settings.Backends.Select(b => b.Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    public void Load_EmptyYaml_ReturnsDefaults(string yaml)
    {
        var settings = _sandbox.LoadYaml(yaml);

        Assert.Equal(new ListenAddress("", 8080), settings.Server.Frontend.Address);
        Assert.Empty(settings.Backends);
    }

    [Fact]
    public void Load_NullYamlValues_KeepDefaults()
    {
        var settings = _sandbox.LoadYaml("""
            server:
              frontend:
                address:
              reconnect-header: ~
            """);

        Assert.Equal(new ListenAddress("", 8080), settings.Server.Frontend.Address);
        Assert.Equal("X-Balancer-Reconnect", settings.Server.ReconnectHeader);
    }

    [Fact]
    public void Load_RelativeConfigPath_ResolvedAgainstBaseDirectory()
    {
        Directory.CreateDirectory(Path.Combine(_sandbox.BaseDirectory, "conf"));
        _sandbox.WriteFile(Path.Combine("conf", "b.yml"), "server: { reconnect-header: X-From-Conf }");

        var settings = _sandbox.Load("--config", Path.Combine("conf", "b.yml"));

        Assert.Equal("X-From-Conf", settings.Server.ReconnectHeader);
    }

    [Fact]
    public void Load_AbsoluteConfigPath_Used()
    {
        _sandbox.WriteYaml("server: { reconnect-header: X-Absolute }");

        var settings = _sandbox.Load($"--config={Path.Combine(_sandbox.BaseDirectory, "balancer.yml")}");

        Assert.Equal("X-Absolute", settings.Server.ReconnectHeader);
    }

    [Fact]
    public void Load_MissingConfigFile_ErrorNamesConfigFlagAndPath()
    {
        var path = Path.Combine(_sandbox.BaseDirectory, "missing.yml");

        var error = _sandbox.LoadFails("--config", path, "--config", "missing.yml");

        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ConfigPathIsDirectory_ErrorNamesConfigFlag()
    {
        Directory.CreateDirectory(Path.Combine(_sandbox.BaseDirectory, "dir.yml"));

        _sandbox.LoadFails("--config", Path.Combine(_sandbox.BaseDirectory, "dir.yml"), "--config", "dir.yml");
    }

    [Theory]
    [InlineData("server:\n  frontend: [unclosed\n", 3)]
    [InlineData("server:\n  frontend:\n    address: :1\n   admin: x\n", 4)]
    [InlineData("server:\n  a: 1\n  a: 2\n", 3)]
    public void Load_InvalidYaml_ErrorNamesFileAndLine(string yaml, int line)
    {
        var path = Path.Combine(_sandbox.BaseDirectory, "balancer.yml");

        var error = _sandbox.LoadYamlFails(yaml, "--config", path);

        Assert.Contains("valid YAML", error.Message, StringComparison.Ordinal);
        Assert.Contains($"line {line}, column ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("just a string")]
    [InlineData("- a\n- b\n")]
    public void Load_YamlNotAMapping_ErrorNamesFile(string yaml)
    {
        var error = _sandbox.LoadYamlFails(yaml, "--config", Path.Combine(_sandbox.BaseDirectory, "balancer.yml"));

        Assert.Contains("a YAML mapping", error.Message, StringComparison.Ordinal);
    }
}

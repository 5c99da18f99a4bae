using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class LayeringTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1006) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_WsbPrefixedVariables_SetValues()
    {
        var id = _faker.Random.AlphaNumeric(10);
        _sandbox.Environment["WSB__server__frontend__address"] = ":9000";
        _sandbox.Environment["WSB__SERVER__MAX-PENDING-MESSAGES"] = "7";
        _sandbox.Environment["wsb__server__block-headers__0"] = "X-One";
        _sandbox.Environment["WSB__server__block-headers__1"] = "X-Two";
        _sandbox.Environment["WSB__upstream__backends__0__url"] = "ws://localhost:9090";
        _sandbox.Environment["WSB__upstream__backends__0__id"] = id;
        _sandbox.Environment["WSB__upstream__backends__0__pass-headers"] = "X-A,X-B";
        _sandbox.Environment["WSBX__server__frontend__address"] = "ignored";
        _sandbox.Environment["WSB__"] = "ignored";

        var settings = _sandbox.Load();

        Assert.Equal(new ListenAddress("", 9000), settings.Server.Frontend.Address);
        Assert.Equal(7, settings.Server.MaxPendingMessages);
        Assert.Equal(["X-One", "X-Two"], settings.Server.BlockHeaders);
        var backend = Assert.Single(settings.Backends);
        Assert.Equal(id, backend.Id);
        Assert.Equal(["X-A", "X-B"], backend.PassHeaders);
    }

    [Fact]
    public void Load_AppSettingsJson_SetsValues()
    {
        _sandbox.WriteFile("appsettings.json", """
            {
              "Logging": { "LogLevel": { "Default": "Information" } },
              "server": {
                "frontend": { "address": ":7000", "wite-timeout": "3s" },
                "max-pending-bytes": "1MiB",
                "block-headers": [ "X-Json" ],
                "compression": true
              },
              "upstream": { "backends": [ { "url": "ws://localhost:9090", "abnormal-close-codes": [ 1011 ] } ] }
            }
            """);

        var settings = _sandbox.Load();

        Assert.Equal(new ListenAddress("", 7000), settings.Server.Frontend.Address);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.Server.Frontend.WriteTimeout);
        Assert.Equal(1024 * 1024, settings.Server.MaxPendingBytes);
        Assert.Equal(["X-Json"], settings.Server.BlockHeaders);
        Assert.True(settings.Server.Compression);
        Assert.Equal([1011], Assert.Single(settings.Backends).AbnormalCloseCodes);
    }

    [Fact]
    public void Load_InvalidAppSettingsJson_ErrorNamesFile()
    {
        _sandbox.WriteFile("appsettings.json", "{ \"server\": ");

        var error = _sandbox.LoadFails("appsettings.json", Path.Combine(_sandbox.BaseDirectory, "appsettings.json"));

        Assert.Contains("valid JSON", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<int, string> Layers => new()
    {
        { 0, "X-Balancer-Reconnect" },
        { 1, "X-AppSettings" },
        { 2, "X-Yaml" },
        { 3, "X-Wsb" },
        { 4, "X-Ancestor" },
        { 5, "X-CommandLine" },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Load_SameKeyInLayers_HighestLayerWins(int layerCount, string expected)
    {
        var args = new List<string>();
        if (layerCount >= 1)
        {
            _sandbox.WriteFile("appsettings.json", """{ "server": { "reconnect-header": "X-AppSettings" } }""");
        }

        if (layerCount >= 2)
        {
            args.AddRange(["--config", _sandbox.WriteYaml("server: { reconnect-header: X-Yaml }")]);
        }

        if (layerCount >= 3)
        {
            _sandbox.Environment["WSB__server__reconnect-header"] = "X-Wsb";
        }

        if (layerCount >= 4)
        {
            _sandbox.Environment["RECONNECT_HDR"] = "X-Ancestor";
        }

        if (layerCount >= 5)
        {
            args.Add("--server:reconnect-header=X-CommandLine");
        }

        Assert.Equal(expected, _sandbox.Load([.. args]).Server.ReconnectHeader);
    }

    [Fact]
    public void Load_EveryLayerSetsDifferentKeys_AllKept()
    {
        _sandbox.WriteFile("appsettings.json", """{ "server": { "max-pending-messages": 11 } }""");
        _sandbox.WriteYaml("server: { max-message-size: 2048 }");
        _sandbox.Environment["WSB__server__max-pending-bytes"] = "4096";
        _sandbox.Environment["LOG_LEVEL"] = "ERROR";

        var server = _sandbox.Load("--config", "balancer.yml", "--server:failover-drain-timeout=0s").Server;

        Assert.Equal(11, server.MaxPendingMessages);
        Assert.Equal(2048, server.MaxMessageBytes);
        Assert.Equal(4096, server.MaxPendingBytes);
        Assert.Equal("ERROR", server.LoggingLevel);
        Assert.Equal(TimeSpan.Zero, server.FailoverDrainTimeout);
    }

    [Fact]
    public void Load_HigherLayerList_ReplacesLowerListWhole()
    {
        _sandbox.WriteFile("appsettings.json", """{ "server": { "block-headers": [ "X-1", "X-2", "X-3" ] } }""");
        _sandbox.Environment["WSB__server__block-headers__0"] = "X-Env";

        Assert.Equal(["X-Env"], _sandbox.Load().Server.BlockHeaders);
    }

    [Fact]
    public void Load_EmptyYamlList_ClearsLowerList()
    {
        _sandbox.WriteFile("appsettings.json", """{ "server": { "block-headers": [ "X-1", "X-2" ] } }""");

        Assert.Empty(_sandbox.LoadYaml("server: { block-headers: [] }").Server.BlockHeaders);
    }

    [Fact]
    public void Load_CommaSeparatedListValue_Split()
    {
        Assert.Equal(["X-A", "X-B"], _sandbox.Load("--server:block-headers=X-A, X-B").Server.BlockHeaders);
    }

    [Fact]
    public void Load_HigherLayerBackendField_MergesIntoLowerBackend()
    {
        _sandbox.WriteYaml("""
            upstream:
              backends:
                - { url: "ws://localhost:9090", id: one, handshake-timeout: 4s, pass-headers: [X-A, X-B] }
                - { url: "ws://localhost:9091", id: two }
            """);
        _sandbox.Environment["WSB__upstream__backends__0__ping-time"] = "20s";
        _sandbox.Environment["WSB__upstream__backends__0__pass-headers__0"] = "X-C";

        var backends = _sandbox.Load("--config", "balancer.yml").Backends;

        Assert.Equal(["one", "two"], backends.Select(b => b.Id));
        Assert.Equal(TimeSpan.FromSeconds(20), backends[0].PingTime);
        Assert.Equal(TimeSpan.FromSeconds(4), backends[0].HandshakeTimeout);
        Assert.Equal(["X-C"], backends[0].PassHeaders);
    }

    [Fact]
    public void ProcessEnvironment_VariableSet_Returned()
    {
        var name = $"WSB_TEST_{_faker.Random.AlphaNumeric(12).ToUpperInvariant()}";
        Environment.SetEnvironmentVariable(name, "present");
        try
        {
            Assert.Equal("present", BalancerConfiguration.ProcessEnvironment()[name]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}

using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class AncestorEnvironmentTests : IDisposable
{
    private const string TwoBackends = """
        upstream:
          backends:
            - url: ws://localhost:9090
              id: file-1
              ping-time: 1m
              handshake-timeout: 1s
              breaker-threshold: 3
              read-buffer-size: 100
              write-buffer-size: 200
              pass-headers: [X-File]
              abnormal-close-codes: [1001]
            - url: ws://localhost:9091
        """;

    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(6455) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_EveryServerVariable_OverridesFile()
    {
        _sandbox.WriteYaml("""
            server:
              frontend: { address: ":1111", read-timeout: 1s, write-timeout: 1s, max-header-bytes: 2048 }
              admin: { address: "127.0.0.1:2222", read-timeout: 1s, write-timeout: 1s, max-header-bytes: 2048 }
              read-buffer-size: 1
              write-buffer-size: 1
              trust-received-xff: true
              block-headers: [X-File-1, X-File-2, X-File-3]
              reconnect-header: X-File
              enable-instrumentation: false
              logging-level: ERROR
            """);
        var env = _sandbox.Environment;
        env["FE_ADDR"] = "127.0.0.1:3000";
        env["FE_READ_TIMEOUT"] = "31s";
        env["FE_WRITE_TIMEOUT"] = "32s";
        env["FE_MAX_HDR_BYTES"] = "4096";
        env["FE_RB_SIZE"] = "333";
        env["FE_WB_SIZE"] = "444";
        env["FE_TRUST_XFF"] = "no";
        env["BLOCK_HEADERS"] = "X-Env-A, X-Env-B";
        env["RECONNECT_HDR"] = "X-Env-Reconnect";
        env["ENABLE_INST"] = "YES";
        env["LOG_LEVEL"] = "trace";
        env["ADM_ADDR"] = "localhost:4000";
        env["ADM_READ_TIMEOUT"] = "41s";
        env["ADM_WRITE_TIMEOUT"] = "42s";
        env["ADM_MAX_HDR_BYTES"] = "8192";

        var server = _sandbox.Load("--config", "balancer.yml").Server;

        Assert.Equal(new ListenAddress("127.0.0.1", 3000), server.Frontend.Address);
        Assert.Equal(TimeSpan.FromSeconds(31), server.Frontend.ReadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(32), server.Frontend.WriteTimeout);
        Assert.Equal(4096, server.Frontend.MaxHeaderBytes);
        Assert.Equal(333, server.ReadBufferSize);
        Assert.Equal(444, server.WriteBufferSize);
        Assert.False(server.TrustReceivedXff);
        Assert.Equal(["X-Env-A", "X-Env-B"], server.BlockHeaders); // replaced whole, not merged with X-File-3
        Assert.Equal("X-Env-Reconnect", server.ReconnectHeader);
        Assert.True(server.EnableInstrumentation);
        Assert.Equal("trace", server.LoggingLevel);
        Assert.Equal(new ListenAddress("localhost", 4000), server.Admin.Address);
        Assert.Equal(TimeSpan.FromSeconds(41), server.Admin.ReadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(42), server.Admin.WriteTimeout);
        Assert.Equal(8192, server.Admin.MaxHeaderBytes);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("FALSE", false)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData("Yes", true)]
    [InlineData("no", false)]
    public void Load_BooleanSpellings_Accepted(string text, bool expected)
    {
        _sandbox.Environment["ENABLE_INST"] = text;
        _sandbox.Environment["FE_TRUST_XFF"] = text;

        var server = _sandbox.Load().Server;

        Assert.Equal(expected, server.EnableInstrumentation);
        Assert.Equal(expected, server.TrustReceivedXff);
    }

    [Fact]
    public void Load_EmptyVariables_AreNotSet()
    {
        _sandbox.WriteYaml("server: { frontend: { address: ':1234' }, block-headers: [X-Keep] }");
        foreach (var name in new[] { "FE_ADDR", "BLOCK_HEADERS", "BE_URLS", "BE_URL_IDS", "BE_PING_TIME", "LOG_LEVEL" })
        {
            _sandbox.Environment[name] = "";
        }

        var settings = _sandbox.Load("--config", "balancer.yml");

        Assert.Equal(new ListenAddress("", 1234), settings.Server.Frontend.Address);
        Assert.Equal(["X-Keep"], settings.Server.BlockHeaders);
        Assert.Equal("WARN", settings.Server.LoggingLevel);
        Assert.Empty(settings.Backends);
    }

    [Fact]
    public void Load_BackendUrls_AppendAfterFileBackends()
    {
        var hosts = Enumerable.Range(0, 3).Select(i => $"ws://{_faker.Internet.DomainWord()}-{i}.test:{7000 + i}").ToList();
        _sandbox.Environment["BE_URLS"] = string.Join(",", hosts);

        var backends = _sandbox.LoadYaml(TwoBackends).Backends;

        Assert.Equal(5, backends.Count);
        Assert.Equal(["ws://localhost:9090/", "ws://localhost:9091/", .. hosts.Select(h => new Uri(h).AbsoluteUri)], backends.Select(b => b.Url.AbsoluteUri));
        Assert.Equal(["file-1", "localhost-9091", .. hosts.Select(BackendId.FromUrl)], backends.Select(b => b.Id));
    }

    [Fact]
    public void Load_BackendUrlsWithoutFile_DefineBackends()
    {
        _sandbox.Environment["BE_URLS"] = "ws://localhost:9090, ws://localhost:9091/path";

        var backends = _sandbox.Load().Backends;

        Assert.Equal(["localhost-9090", "localhost-9091"], backends.Select(b => b.Id));
        Assert.Equal(TimeSpan.FromMinutes(10), backends[1].PingTime);
    }

    [Fact]
    public void Load_BackendUrlIds_NameAppendedBackends()
    {
        var ids = Enumerable.Range(0, 2).Select(i => $"{_faker.Random.AlphaNumeric(8)}-{i}").ToList();
        _sandbox.Environment["BE_URLS"] = "ws://localhost:7000,ws://localhost:7001";
        _sandbox.Environment["BE_URL_IDS"] = string.Join(",", ids);

        var backends = _sandbox.LoadYaml(TwoBackends).Backends;

        Assert.Equal(["file-1", "localhost-9091", .. ids], backends.Select(b => b.Id));
    }

    [Theory]
    [InlineData("ws://localhost:7000,ws://localhost:7001", "a")]
    [InlineData("ws://localhost:7000", "a,b")]
    [InlineData(null, "a")]
    public void Load_BackendUrlIdsCountMismatch_ErrorNamesBackendUrlIds(string? urls, string ids)
    {
        if (urls is not null)
        {
            _sandbox.Environment["BE_URLS"] = urls;
        }

        _sandbox.Environment["BE_URL_IDS"] = ids;

        var error = _sandbox.LoadFails("BE_URL_IDS", ids);

        Assert.Contains("BE_URLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BackendOverwriteVariables_OverwriteEveryBackend()
    {
        _sandbox.Environment["BE_URLS"] = "ws://localhost:7000";
        _sandbox.Environment["BE_PING_TIME"] = "45s";
        _sandbox.Environment["BE_HANDSHAKE_TIMEOUT"] = "7s";
        _sandbox.Environment["BE_BREAKER_THRESHOLD"] = "-1";
        _sandbox.Environment["BE_RB_SIZE"] = "4096";
        _sandbox.Environment["BE_WB_SIZE"] = "8KiB";

        var backends = _sandbox.LoadYaml(TwoBackends).Backends;

        Assert.Equal(3, backends.Count);
        Assert.All(backends, backend =>
        {
            Assert.Equal(TimeSpan.FromSeconds(45), backend.PingTime);
            Assert.Equal(TimeSpan.FromSeconds(7), backend.HandshakeTimeout);
            Assert.Equal(-1, backend.BreakerThreshold);
            Assert.Equal(4096, backend.ReadBufferSize);
            Assert.Equal(8192, backend.WriteBufferSize);
        });
    }

    [Fact]
    public void Load_BackendOverwriteVariablesZero_LeaveBackendsAlone()
    {
        _sandbox.Environment["BE_PING_TIME"] = "0s";
        _sandbox.Environment["BE_HANDSHAKE_TIMEOUT"] = "0";
        _sandbox.Environment["BE_BREAKER_THRESHOLD"] = "0";
        _sandbox.Environment["BE_RB_SIZE"] = "0";
        _sandbox.Environment["BE_WB_SIZE"] = "0";

        var backends = _sandbox.LoadYaml(TwoBackends).Backends;

        Assert.Equal(TimeSpan.FromMinutes(1), backends[0].PingTime);
        Assert.Equal(TimeSpan.FromSeconds(1), backends[0].HandshakeTimeout);
        Assert.Equal(3, backends[0].BreakerThreshold);
        Assert.Equal(100, backends[0].ReadBufferSize);
        Assert.Equal(200, backends[0].WriteBufferSize);
        Assert.Equal(TimeSpan.FromMinutes(10), backends[1].PingTime);
        Assert.Equal(10, backends[1].BreakerThreshold);
    }

    [Fact]
    public void Load_BackendPassHeaders_AppendedToEveryBackend()
    {
        var headers = Enumerable.Range(0, 2).Select(i => $"X-{_faker.Lorem.Word()}-{i}").ToList();
        _sandbox.Environment["BE_URLS"] = "ws://localhost:7000";
        _sandbox.Environment["BE_PASS_HEADERS"] = string.Join(" , ", headers);

        var backends = _sandbox.LoadYaml(TwoBackends).Backends;

        Assert.Equal(["X-File", .. headers], backends[0].PassHeaders);
        Assert.Equal(headers, backends[1].PassHeaders);
        Assert.Equal(headers, backends[2].PassHeaders);
    }

    [Fact]
    public void Load_BackendAbnormalCloseCodes_OverwriteEveryBackend()
    {
        _sandbox.Environment["BE_URLS"] = "ws://localhost:7000";
        _sandbox.Environment["BE_ABNORMAL_CLOSE_CODES"] = "1006, 4000";

        var backends = _sandbox.LoadYaml(TwoBackends).Backends;

        Assert.All(backends, backend => Assert.Equal([1006, 4000], backend.AbnormalCloseCodes));
    }

    [Fact]
    public void Load_BackendVariables_ApplyToWsbAndAppSettingsBackends()
    {
        _sandbox.WriteFile("appsettings.json", """{ "upstream": { "backends": [ { "url": "ws://localhost:6000" } ] } }""");
        _sandbox.Environment["WSB__upstream__backends__1__url"] = "ws://localhost:6001";
        _sandbox.Environment["BE_PING_TIME"] = "2s";
        _sandbox.Environment["BE_URLS"] = "ws://localhost:6002";

        var backends = _sandbox.Load().Backends;

        Assert.Equal(["localhost-6000", "localhost-6001", "localhost-6002"], backends.Select(b => b.Id));
        Assert.All(backends, backend => Assert.Equal(TimeSpan.FromSeconds(2), backend.PingTime));
    }

    [Fact]
    public void Load_CommandLineOverride_BeatsBackendVariable()
    {
        _sandbox.Environment["BE_PING_TIME"] = "2s";

        var backends = _sandbox.LoadYaml(TwoBackends, "--upstream:backends:1:ping-time=3s").Backends;

        Assert.Equal(TimeSpan.FromSeconds(2), backends[0].PingTime);
        Assert.Equal(TimeSpan.FromSeconds(3), backends[1].PingTime);
    }
}

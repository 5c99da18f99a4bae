using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class ValidationTests : IDisposable
{
    private const string TwoBackends = """
        upstream:
          backends:
            - url: ws://localhost:9090
            - url: ws://localhost:9091

        """;

    private readonly ConfigurationSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData("server: { frontend: { address: nowhere } }", "server.frontend.address", "nowhere")]
    [InlineData("server: { frontend: { address: ':70000' } }", "server.frontend.address", ":70000")]
    [InlineData("server: { admin: { address: 'bad host:1' } }", "server.admin.address", "bad host:1")]
    [InlineData("server: { frontend: { read-timeout: ten } }", "server.frontend.read-timeout", "ten")]
    [InlineData("server: { frontend: { read-timeout: 0s } }", "server.frontend.read-timeout", "0s")]
    [InlineData("server: { frontend: { read-timeout: -1s } }", "server.frontend.read-timeout", "-1s")]
    [InlineData("server: { frontend: { read-timeout: 10 } }", "server.frontend.read-timeout", "10")]
    [InlineData("server: { frontend: { read-timeout: 600h } }", "server.frontend.read-timeout", "600h")]
    [InlineData("server: { frontend: { write-timeout: 0 } }", "server.frontend.write-timeout", "0")]
    [InlineData("server: { frontend: { wite-timeout: 1x } }", "server.frontend.wite-timeout", "1x")]
    [InlineData("server: { admin: { read-timeout: 0 } }", "server.admin.read-timeout", "0")]
    [InlineData("server: { admin: { write-timeout: soon } }", "server.admin.write-timeout", "soon")]
    [InlineData("server: { admin: { wite-timeout: -5s } }", "server.admin.wite-timeout", "-5s")]
    [InlineData("server: { frontend: { max-header-bytes: 1023 } }", "server.frontend.max-header-bytes", "1023")]
    [InlineData("server: { frontend: { max-header-bytes: 67108865 } }", "server.frontend.max-header-bytes", "67108865")]
    [InlineData("server: { admin: { max-header-bytes: big } }", "server.admin.max-header-bytes", "big")]
    [InlineData("server: { read-buffer-size: 0 }", "server.read-buffer-size", "0")]
    [InlineData("server: { read-buffer-size: 17MiB }", "server.read-buffer-size", "17MiB")]
    [InlineData("server: { write-buffer-size: -1 }", "server.write-buffer-size", "-1")]
    [InlineData("server: { write-buffer-size: 1.5 }", "server.write-buffer-size", "1.5")]
    [InlineData("server: { trust-received-xff: maybe }", "server.trust-received-xff", "maybe")]
    [InlineData("server: { block-headers: [X-Good, 'Bad Header'] }", "server.block-headers[1]", "Bad Header")]
    [InlineData("server: { block-headers: ['X:Colon'] }", "server.block-headers[0]", "X:Colon")]
    [InlineData("server: { reconnect-header: 'X Reconnect' }", "server.reconnect-header", "X Reconnect")]
    [InlineData("server: { reconnect-header: 'X-Ü' }", "server.reconnect-header", "X-Ü")]
    [InlineData("server: { enable-instrumentation: 2 }", "server.enable-instrumentation", "2")]
    [InlineData("server: { logging-level: LOUD }", "server.logging-level", "LOUD")]
    [InlineData("server: { logging-level: 3 }", "server.logging-level", "3")]
    [InlineData("server: { compression: sometimes }", "server.compression", "sometimes")]
    [InlineData("server: { max-pending-messages: 0 }", "server.max-pending-messages", "0")]
    [InlineData("server: { max-pending-messages: many }", "server.max-pending-messages", "many")]
    [InlineData("server: { max-pending-bytes: 1023 }", "server.max-pending-bytes", "1023")]
    [InlineData("server: { max-pending-bytes: lots }", "server.max-pending-bytes", "lots")]
    [InlineData("server: { max-message-size: 0 }", "server.max-message-size", "0")]
    [InlineData("server: { max-message-size: 2GiB }", "server.max-message-size", "2GiB")]
    [InlineData("server: { failover-drain-timeout: -1s }", "server.failover-drain-timeout", "-1s")]
    [InlineData("server: { failover-drain-timeout: 5 }", "server.failover-drain-timeout", "5")]
    public void Load_BadServerValue_ErrorNamesYamlPathAndValue(string yaml, string key, string value)
    {
        _sandbox.LoadYamlFails(yaml, key, value);
    }

    [Theory]
    [InlineData("url: 'http://localhost:9091'", "upstream.backends[1].url", "http://localhost:9091")]
    [InlineData("url: 'not a url'", "upstream.backends[1].url", "not a url")]
    [InlineData("url: 'localhost:9091'", "upstream.backends[1].url", "localhost:9091")]
    [InlineData("url: '/relative'", "upstream.backends[1].url", "/relative")]
    [InlineData("url: 'ws://'", "upstream.backends[1].url", "ws://")]
    [InlineData("url: 'ws://localhost:9091', id: 'a/b'", "upstream.backends[1].id", "a/b")]
    [InlineData("url: 'ws://localhost:9091', ping-time: 0s", "upstream.backends[1].ping-time", "0s")]
    [InlineData("url: 'ws://localhost:9091', ping-time: often", "upstream.backends[1].ping-time", "often")]
    [InlineData("url: 'ws://localhost:9091', handshake-timeout: 0", "upstream.backends[1].handshake-timeout", "0")]
    [InlineData("url: 'ws://localhost:9091', handshake-timeout: -2s", "upstream.backends[1].handshake-timeout", "-2s")]
    [InlineData("url: 'ws://localhost:9091', breaker-threshold: ten", "upstream.backends[1].breaker-threshold", "ten")]
    [InlineData("url: 'ws://localhost:9091', pass-headers: ['X Bad']", "upstream.backends[1].pass-headers[0]", "X Bad")]
    [InlineData("url: 'ws://localhost:9091', abnormal-close-codes: [1001, 999]", "upstream.backends[1].abnormal-close-codes[1]", "999")]
    [InlineData("url: 'ws://localhost:9091', abnormal-close-codes: [5000]", "upstream.backends[1].abnormal-close-codes[0]", "5000")]
    [InlineData("url: 'ws://localhost:9091', abnormal-close-codes: [going-away]", "upstream.backends[1].abnormal-close-codes[0]", "going-away")]
    [InlineData("url: 'ws://localhost:9091', read-buffer-size: 0", "upstream.backends[1].read-buffer-size", "0")]
    [InlineData("url: 'ws://localhost:9091', write-buffer-size: 16777217", "upstream.backends[1].write-buffer-size", "16777217")]
    public void Load_BadBackendValue_ErrorNamesIndexedPathAndValue(string secondBackend, string key, string value)
    {
        // The value goes into the second backend, so the path must carry its index.
        var yaml = $"upstream:\n  backends:\n    - {{ url: 'ws://localhost:9090' }}\n    - {{ {secondBackend} }}\n";

        _sandbox.LoadYamlFails(yaml, key, value);
    }

    [Fact]
    public void Load_BackendWithoutUrl_ErrorNamesUrl()
    {
        var error = _sandbox.LoadYamlFails(TwoBackends + "    - id: lonely\n", "upstream.backends[2].url", null);

        Assert.Contains("ws:// or wss://", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateBackendId_ErrorNamesSecondId()
    {
        var yaml = """
            upstream:
              backends:
                - { url: "ws://localhost:9090", id: same }
                - { url: "ws://localhost:9091", id: same }
            """;

        var error = _sandbox.LoadYamlFails(yaml, "upstream.backends[1].id", "same");

        Assert.Contains("upstream.backends[0]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateBackendUrl_ErrorNamesSecondUrl()
    {
        var yaml = """
            upstream:
              backends:
                - { url: "ws://localhost:9090", id: one }
                - { url: "ws://LOCALHOST:9090", id: two }
            """;

        _sandbox.LoadYamlFails(yaml, "upstream.backends[1].url", "ws://LOCALHOST:9090");
    }

    [Fact]
    public void Load_DerivedIdCollision_ErrorAsksForExplicitId()
    {
        var yaml = """
            upstream:
              backends:
                - url: ws://localhost:9090/a
                - url: ws://localhost:9090/b
            """;

        var error = _sandbox.LoadYamlFails(yaml, "upstream.backends[1].url", "ws://localhost:9090/b");

        Assert.Contains("explicit id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EnvBackendDuplicatesFileBackend_ErrorNamesBackendUrls()
    {
        _sandbox.Environment["BE_URLS"] = "ws://localhost:9091";

        _sandbox.LoadYamlFails(TwoBackends, "BE_URLS", "ws://localhost:9091");
    }

    [Fact]
    public void Load_NonNumericBackendIndex_ErrorNamesPath()
    {
        _sandbox.Environment["WSB__upstream__backends__main__url"] = "ws://localhost:9090";

        _sandbox.LoadFails("upstream.backends.main", null);
    }

    [Theory]
    [InlineData("FE_ADDR", "nowhere")]
    [InlineData("FE_READ_TIMEOUT", "10")]
    [InlineData("FE_WRITE_TIMEOUT", "0s")]
    [InlineData("FE_MAX_HDR_BYTES", "12")]
    [InlineData("FE_RB_SIZE", "0")]
    [InlineData("FE_WB_SIZE", "huge")]
    [InlineData("FE_TRUST_XFF", "perhaps")]
    [InlineData("RECONNECT_HDR", "X Reconnect")]
    [InlineData("ENABLE_INST", "on")]
    [InlineData("LOG_LEVEL", "CHATTY")]
    [InlineData("ADM_ADDR", "8081")]
    [InlineData("ADM_READ_TIMEOUT", "-1s")]
    [InlineData("ADM_WRITE_TIMEOUT", "forever")]
    [InlineData("ADM_MAX_HDR_BYTES", "99999999999")]
    [InlineData("BE_PING_TIME", "10")]
    [InlineData("BE_PING_TIME", "-1s")]
    [InlineData("BE_HANDSHAKE_TIMEOUT", "quick")]
    [InlineData("BE_RB_SIZE", "17MiB")]
    [InlineData("BE_WB_SIZE", "lots")]
    [InlineData("BE_BREAKER_THRESHOLD", "ten")]
    [InlineData("BE_URLS", "http://localhost:7000")]
    public void Load_BadAncestorVariable_ErrorNamesVariable(string name, string value)
    {
        _sandbox.Environment[name] = value;

        _sandbox.LoadYamlFails(TwoBackends, name, value);
    }

    [Theory]
    [InlineData("BLOCK_HEADERS", "X-Good, Bad Header", "Bad Header")]
    [InlineData("BE_PASS_HEADERS", "X-Good,X Bad", "X Bad")]
    [InlineData("BE_ABNORMAL_CLOSE_CODES", "1001, 42", "42")]
    [InlineData("BE_ABNORMAL_CLOSE_CODES", "1001,abnormal", "abnormal")]
    [InlineData("BE_URL_IDS", "ok,bad/id", "bad/id")]
    public void Load_BadAncestorListItem_ErrorNamesVariableAndItem(string name, string value, string badItem)
    {
        _sandbox.Environment[name] = value;
        _sandbox.Environment["BE_URLS"] = "ws://localhost:7000,ws://localhost:7001";

        _sandbox.LoadYamlFails(TwoBackends, name, badItem);
    }

    [Theory]
    [InlineData("WSB__server__frontend__address", "nowhere", "server.frontend.address")]
    [InlineData("WSB__upstream__backends__0__ping-time", "often", "upstream.backends[0].ping-time")]
    public void Load_BadWsbVariable_ErrorNamesYamlPath(string name, string value, string key)
    {
        _sandbox.Environment[name] = value;

        _sandbox.LoadYamlFails(TwoBackends, key, value);
    }

    [Fact]
    public void Load_BadAppSettingsValue_ErrorNamesYamlPath()
    {
        _sandbox.WriteFile("appsettings.json", """{ "server": { "max-pending-messages": -3 } }""");

        _sandbox.LoadFails("server.max-pending-messages", "-3");
    }

    [Theory]
    [InlineData("Information")]
    [InlineData("critical")]
    [InlineData("None")]
    [InlineData("warning")]
    [InlineData("FATAL")]
    [InlineData("panic")]
    [InlineData("Info")]
    public void Load_KnownLogLevel_Accepted(string level)
    {
        Assert.Equal(level, _sandbox.Load($"--server:logging-level={level}").Server.LoggingLevel);
    }

    [Theory]
    [InlineData("server:max-pending-bytes", "1024")]
    [InlineData("server:max-message-size", "1GiB")]
    [InlineData("server:read-buffer-size", "16MiB")]
    [InlineData("server:frontend:max-header-bytes", "64MiB")]
    [InlineData("server:frontend:max-header-bytes", "1024")]
    [InlineData("server:failover-drain-timeout", "576h")]
    public void Load_ValueAtLimit_Accepted(string key, string value)
    {
        _sandbox.Load($"--{key}={value}");
    }

    [Fact]
    public void Load_ErrorMessage_UsesExceptionFormat()
    {
        _sandbox.Environment["FE_ADDR"] = "x";

        var error = _sandbox.LoadFails("FE_ADDR", "x", []);

        Assert.StartsWith("invalid configuration: FE_ADDR='x': expected a listen address", error.Message, StringComparison.Ordinal);
    }
}

using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class HelpTextTests
{
    private static readonly string Help = HelpText.Build();

    public static TheoryData<string> EnvironmentVariables =>
    [
        "FE_ADDR", "FE_READ_TIMEOUT", "FE_WRITE_TIMEOUT", "FE_MAX_HDR_BYTES", "FE_MAX_SESSIONS", "FE_MAX_SESSIONS_PER_ADDR", "FE_RB_SIZE", "FE_WB_SIZE", "FE_TRUST_XFF",
        "BLOCK_HEADERS", "RECONNECT_HDR", "ENABLE_INST", "LOG_LEVEL", "ADM_ADDR", "ADM_READ_TIMEOUT", "ADM_WRITE_TIMEOUT",
        "ADM_MAX_HDR_BYTES", "BE_URLS", "BE_URL_IDS", "BE_PING_TIME", "BE_RB_SIZE", "BE_WB_SIZE", "BE_BREAKER_THRESHOLD",
        "BE_HANDSHAKE_TIMEOUT", "BE_PASS_HEADERS", "BE_ABNORMAL_CLOSE_CODES", "DATA_DIR", "ADM_TOKEN", "ADM_READ_TOKEN", "ADM_ALLOW_INSECURE", "DRAIN_TIMEOUT",
    ];

    [Theory]
    [MemberData(nameof(EnvironmentVariables))]
    public void Build_EveryEnvironmentVariable_Listed(string name)
    {
        Assert.Contains(name, Help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--config")]
    [InlineData("-config")]
    [InlineData("--demo")]
    [InlineData("--data-dir DIR")]
    [InlineData(":memory:")]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("--section:key=value")]
    [InlineData("WSB__")]
    [InlineData("appsettings.json")]
    [InlineData("Precedence")]
    public void Build_Flags_Listed(string text)
    {
        Assert.Contains(text, Help, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_EverySetting_ListedWithDefault()
    {
        foreach (var setting in SettingCatalog.Server)
        {
            var line = Assert.Single(Help.Split('\n'), l => l.TrimStart().StartsWith(ConfigKey.ToDisplayPath(setting.Key) + " ", StringComparison.Ordinal));
            Assert.Contains(setting.Default, line, StringComparison.Ordinal);
        }

        foreach (var setting in SettingCatalog.Backend)
        {
            Assert.Single(Help.Split('\n'), l => l.TrimStart().StartsWith(setting.Key + " ", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("server.frontend.address", ":8080")]
    [InlineData("server.admin.address", "127.0.0.1:8081")]
    [InlineData("server.frontend.read-timeout", "10s")]
    [InlineData("server.max-pending-bytes", "8MiB")]
    [InlineData("server.failover-drain-timeout", "5s")]
    [InlineData("server.data-dir", "data")]
    [InlineData("server.admin.token", "(none)")]
    [InlineData("server.admin.allow-insecure", "false")]
    [InlineData("ping-time", "10m0s")]
    [InlineData("abnormal-close-codes", "1001,1005,1006,1011,1013")]
    public void Build_Defaults_MatchSettings(string key, string expectedDefault)
    {
        var line = Assert.Single(Help.Split('\n'), l => l.TrimStart().StartsWith(key + " ", StringComparison.Ordinal));
        Assert.Contains(expectedDefault, line, StringComparison.Ordinal);
    }
}

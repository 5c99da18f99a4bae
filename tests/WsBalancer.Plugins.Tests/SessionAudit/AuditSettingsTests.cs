using WsBalancer.Plugins.SessionAudit;

namespace WsBalancer.Plugins.Tests.SessionAudit;

public sealed class AuditSettingsTests : IDisposable
{
    private readonly AuditSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Read_NoSettings_Defaults()
    {
        var settings = AuditSettings.Read("SessionAudit", new Dictionary<string, string>());

        Assert.Equal(new AuditSettings
        {
            QueueCapacity = 10_000,
            MaxTrackedSessions = 100_000,
            MaxAge = TimeSpan.FromDays(30),
            MaxRecords = 1_000_000,
            Export = false,
            IncludeQuery = false,
        }, settings);
    }

    [Fact]
    public void Read_EverySetting_Parsed()
    {
        var settings = AuditSettings.Read("SessionAudit", new Dictionary<string, string>
        {
            ["queue-capacity"] = "64",
            ["MAX-TRACKED-SESSIONS"] = "10",
            ["max-age"] = "1d12h",
            ["max-records"] = "5000",
            ["export"] = "yes",
            ["include-query"] = "1",
        });

        Assert.Equal(new AuditSettings
        {
            QueueCapacity = 64,
            MaxTrackedSessions = 10,
            MaxAge = TimeSpan.FromHours(36),
            MaxRecords = 5000,
            Export = true,
            IncludeQuery = true,
        }, settings);
    }

    [Theory]
    [InlineData("queue-capacity", "0", "expected an integer from 1 to 10000000")]
    [InlineData("queue-capacity", "lots", "expected an integer from 1 to 10000000")]
    [InlineData("max-tracked-sessions", "-5", "expected an integer from 1 to 10000000")]
    [InlineData("max-age", "30", "expected a duration of at least 1m")]
    [InlineData("max-age", "30s", "expected a duration of at least 1m")]
    [InlineData("max-age", "1w", "expected a duration")]
    [InlineData("max-records", "1e6", "expected an integer from 1 to 1000000000")]
    [InlineData("export", "maybe", "expected a boolean")]
    [InlineData("include-query", "", "expected a boolean")]
    public void Constructor_BadSetting_ThrowsNamingKeyValueAndExpectation(string key, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => _sandbox.Open((key, value)));

        Assert.StartsWith($"plugins.SessionAudit.settings.{key}='{value}': {expected}", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_sandbox.DatabasePath));
    }

    [Fact]
    public void Constructor_UnknownSetting_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => _sandbox.Open(("max-ages", "7d")));

        Assert.StartsWith("plugins.SessionAudit.settings.max-ages: unknown setting; expected one of export, include-query, max-age,", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30d", 30 * 24 * 3600.0)]
    [InlineData("1h30m", 5400.0)]
    [InlineData("1.5h", 5400.0)]
    [InlineData("2d12h", 216_000.0)]
    [InlineData("90s", 90.0)]
    [InlineData("1500ms", 1.5)]
    [InlineData("250us", 0.00025)]
    [InlineData("0", 0.0)]
    [InlineData(" 7d ", 604_800.0)]
    public void TryParse_GoDurationOrDays_Parsed(string text, double seconds)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("d")]
    [InlineData("30")]
    [InlineData("-1h")]
    [InlineData("1x")]
    [InlineData("1.2.3s")]
    [InlineData("5 d")]
    [InlineData("99999999999999999999999d")]
    public void TryParse_Malformed_False(string text)
    {
        Assert.False(DurationText.TryParse(text, out _));
    }
}

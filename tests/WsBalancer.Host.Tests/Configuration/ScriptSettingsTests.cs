using WsBalancer.Host.Configuration;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.scripts-dir and the scripts: section.</summary>
public sealed class ScriptSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_ScriptsUnderBaseDirectoryDefaultLimits()
    {
        var scripts = _sandbox.Load().Scripts;

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "scripts"), scripts.Directory);
        Assert.Equal(TimeSpan.FromMilliseconds(50), scripts.Limits.Timeout);
        Assert.Equal(100_000, scripts.Limits.MaxStatements);
        Assert.Equal(8L * 1024 * 1024, scripts.Limits.MaxMemoryBytes);
        Assert.Equal(64, scripts.Limits.MaxRecursionDepth);
        Assert.Equal(TimeSpan.FromMilliseconds(20), scripts.Limits.RegexTimeout);
        Assert.Equal(1024 * 1024, scripts.Limits.MaxMessageBytes);
        Assert.Equal(10, scripts.QuarantineAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(200), scripts.SessionBudget);
        Assert.Equal(TimeSpan.FromSeconds(10), scripts.SessionBudgetWindow);
        Assert.Equal(TimeSpan.FromSeconds(10), scripts.EngineIdleTimeout);
    }

    [Fact]
    public void Load_MessageAndIdleLimitsFromYaml_Read()
    {
        var scripts = _sandbox.LoadYaml("scripts: { max-message-size: 3MiB, engine-idle-timeout: 0s }").Scripts;

        Assert.Equal(3 * 1024 * 1024, scripts.Limits.MaxMessageBytes);
        Assert.Equal(TimeSpan.Zero, scripts.EngineIdleTimeout);
    }

    [Theory]
    [InlineData("--scripts-dir", "filters")]
    [InlineData("--scripts-dir=filters")]
    [InlineData("--server:scripts-dir=filters")]
    public void Load_ScriptsDirOnCommandLine_ResolvedAgainstBaseDirectory(params string[] args)
    {
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "filters"), _sandbox.Load(args).Scripts.Directory);
    }

    [Fact]
    public void Load_ScriptsDirEnvironment_Used()
    {
        _sandbox.Environment["SCRIPTS_DIR"] = "/srv/filters";

        Assert.Equal("/srv/filters", _sandbox.Load().Scripts.Directory);
    }

    [Fact]
    public void Load_LimitsFromYaml_ReadAndMessageLimitFollowsTheServer()
    {
        var scripts = _sandbox.LoadYaml("""
            server: { max-message-size: 64KiB }
            scripts: { timeout: 20ms, max-statements: 5000, max-memory: 2MiB, max-recursion-depth: 16, regex-timeout: 5ms, quarantine-after: 3, session-budget: 1s, session-budget-window: 1m }
            """).Scripts;

        Assert.Equal(TimeSpan.FromMilliseconds(20), scripts.Limits.Timeout);
        Assert.Equal(5000, scripts.Limits.MaxStatements);
        Assert.Equal(2L * 1024 * 1024, scripts.Limits.MaxMemoryBytes);
        Assert.Equal(16, scripts.Limits.MaxRecursionDepth);
        Assert.Equal(TimeSpan.FromMilliseconds(5), scripts.Limits.RegexTimeout);
        Assert.Equal(64 * 1024, scripts.Limits.MaxMessageBytes);
        Assert.Equal(3, scripts.QuarantineAfter);
        Assert.Equal(TimeSpan.FromSeconds(1), scripts.SessionBudget);
        Assert.Equal(TimeSpan.FromMinutes(1), scripts.SessionBudgetWindow);
    }

    [Theory]
    [InlineData("scripts: { timeout: 11s }", "scripts.timeout", "11s")]
    [InlineData("scripts: { timeout: 0s }", "scripts.timeout", "0s")]
    [InlineData("scripts: { regex-timeout: 1m }", "scripts.regex-timeout", "1m")]
    [InlineData("scripts: { max-statements: 0 }", "scripts.max-statements", "0")]
    [InlineData("scripts: { max-memory: 1KiB }", "scripts.max-memory", "1KiB")]
    [InlineData("scripts: { max-recursion-depth: 5000 }", "scripts.max-recursion-depth", "5000")]
    [InlineData("scripts: { quarantine-after: none }", "scripts.quarantine-after", "none")]
    [InlineData("scripts: { max-message-size: 5MiB }", "scripts.max-message-size", "5MiB")]
    [InlineData("scripts: { max-message-size: 0 }", "scripts.max-message-size", "0")]
    [InlineData("scripts: { engine-idle-timeout: soon }", "scripts.engine-idle-timeout", "soon")]
    public void Load_BadLimit_FailsNamingTheKey(string yaml, string key, string value)
    {
        _sandbox.LoadYamlFails(yaml, key, value);
    }
}

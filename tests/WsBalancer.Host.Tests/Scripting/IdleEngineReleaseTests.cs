using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Metrics;
using WsBalancer.Host.Scripting;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Scripting;

/// <summary>
/// An idle session's engine is let go only when nothing is lost: the next call gets a fresh engine with the same
/// state, and a script whose top-level bindings changed keeps its engine.
/// </summary>
[Collection(nameof(ScriptTimingCollection))]
public sealed class IdleEngineReleaseTests : IDisposable, IScriptedSession
{
    private static readonly TimeSpan IdleFor = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("wsb-idle-");
    private readonly FakeTimeProvider _time = new();
    private readonly ServiceProvider _services;

    public IdleEngineReleaseTests()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        _services = services.BuildServiceProvider();
    }

    public void Dispose()
    {
        _services.Dispose();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task Release_StateOnly_EngineGoesAndTheNextCallCarriesOn()
    {
        var (library, session) = Start("""
            const PREFIX = 'n=';
            const PATTERNS = [/a/g, /b/];
            const SHAPES = { 2: ['string', 'object'] };
            function beforeTransmit(m, s) { s.state.count = (s.state.count || 0) + 1; return PREFIX + s.state.count; }
            """);
        Assert.Equal("n=1", await SendAsync(session));
        Assert.Equal("n=2", await SendAsync(session));

        Assert.Equal(0, session.ReleaseIdleEngines(IdleFor)); // not idle yet
        _time.Advance(IdleFor);
        Assert.Equal(1, session.ReleaseIdleEngines(IdleFor));

        Assert.Empty(library.SessionsWithEngines);
        Assert.Equal("n=3", await SendAsync(session));
        Assert.Single(library.SessionsWithEngines);
    }

    [Theory]
    [InlineData("let seen = 0; function beforeTransmit(m, s) { seen++; return 'n=' + seen; }")]
    [InlineData("const seen = []; function beforeTransmit(m, s) { seen.push(1); return 'n=' + seen.length; }")]
    [InlineData("const seen = { n: 0 }; function beforeTransmit(m, s) { seen.n++; return 'n=' + seen.n; }")]
    [InlineData("const seen = new Map(); function beforeTransmit(m, s) { seen.set(seen.size, 1); return 'n=' + seen.size; }")]
    [InlineData("function beforeTransmit(m, s) { beforeTransmit.n = (beforeTransmit.n || 0) + 1; s.state.f = () => 1; return 'n=' + beforeTransmit.n; }")]
    [InlineData("const [seen] = [{ n: 0 }]; function beforeTransmit(m, s) { seen.n++; return 'n=' + seen.n; }")]
    public async Task Release_MoreThanState_EngineStays(string source)
    {
        var (_, session) = Start(source);
        Assert.Equal("n=1", await SendAsync(session));

        _time.Advance(IdleFor);
        Assert.Equal(0, session.ReleaseIdleEngines(IdleFor));

        Assert.Equal("n=2", await SendAsync(session));
    }

    [Fact]
    public async Task Release_ThenSessionCloses_OnCloseRunsInAFreshEngineWithTheState()
    {
        var (library, session) = Start("""
            function beforeTransmit(m, s) { s.state.last = m.text; }
            function onClose(s, code, reason) { if (s.state.last !== 'hello' || code !== 1000) throw new Error('state lost'); }
            """);
        await session.BeforeTransmitAsync(WsMessage.Text("hello"));
        _time.Advance(IdleFor);
        Assert.Equal(1, session.ReleaseIdleEngines(IdleFor));

        await session.CloseAsync(1000, "bye");

        var stats = Assert.Single(library.Slots).Stats;
        Assert.Equal(2, stats.Calls);
        Assert.Equal(0, stats.Errors);
        Assert.Empty(library.SessionsWithEngines);
    }

    [Fact]
    public async Task Release_IdleEngines_ReleasedOnlyOnceTheyWereIdle()
    {
        var (_, session) = Start("function beforeTransmit(m, s) { } function afterReceive(m, s) { }");
        await session.BeforeTransmitAsync(WsMessage.Text("x"));
        _time.Advance(IdleFor / 2);
        await session.AfterReceiveAsync(WsMessage.Text("y"));
        _time.Advance(IdleFor / 2);

        Assert.Equal(0, session.ReleaseIdleEngines(IdleFor)); // one engine per script, used half a period ago
        _time.Advance(IdleFor / 2);
        Assert.Equal(1, session.ReleaseIdleEngines(IdleFor));
    }

    private (ScriptLibrary Library, ScriptSession Session) Start(string source)
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "10-test.js"), source);
        var settings = new ScriptSettings { Directory = _folder.FullName, Limits = JintGuardsTests.Relaxed, SessionBudget = TimeSpan.FromMinutes(1), EngineIdleTimeout = IdleFor };
        var library = new ScriptLibrary(settings, _time, NullLogger.Instance);
        library.Start();
        Assert.NotNull(Assert.Single(library.Slots).Current);
        var metrics = new BalancerMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), new ServerSettings());
        var info = new ScriptSessionInfo("s1", "/ws", "/ws", string.Empty, "fe", "127.0.0.1", [], () => "b1", () => 0);
        return (library, new ScriptSession(library, info, this, new ScriptFaultLog(_time, NullLogger.Instance), metrics, _time, NullLogger.Instance));
    }

    private static async Task<string> SendAsync(ScriptSession session)
    {
        var result = await session.BeforeTransmitAsync(WsMessage.Text("x"));
        return Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<WsMessage>>(result)).GetText();
    }

    ValueTask IScriptedSession.ReplyAsync(WsMessage message) => ValueTask.CompletedTask;

    ValueTask IScriptedSession.SendToBackendAsync(WsMessage message) => ValueTask.CompletedTask;

    void IScriptedSession.Close(int code, string? reason)
    {
    }
}

using System.Diagnostics;
using Jint;
using Jint.Native;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Tests.Scripting;

[Collection(nameof(ScriptTimingCollection))]
public sealed class ScriptEngineFactoryTests
{
    // Behaviour, not limits, is tested here unless a test says otherwise; see JintGuardsTests.Relaxed.
    private static Engine Create(ScriptLimits? limits = null) =>
        ScriptEngineFactory.Create(limits ?? JintGuardsTests.Relaxed, TestContext.Current.CancellationToken);

    private static ScriptFault Fault(Action call)
    {
        var exception = Assert.ThrowsAny<Exception>(call);
        return ScriptFault.Classify(exception) ?? throw new InvalidOperationException("Unclassified: " + exception, exception);
    }

    [Fact]
    public void Create_UndeclaredAssignment_ThrowsBecauseTheEngineIsStrict()
    {
        var engine = Create();

        Assert.Equal(ScriptFaultKind.Thrown, Fault(() => engine.Execute("undeclared = 1")).Kind);
        Assert.Equal("undefined", engine.Evaluate("typeof (function () { return this; })()").AsString());
    }

    [Theory]
    [InlineData("eval('1')")]
    [InlineData("new Function('return 1')")]
    [InlineData("Function('return 1')()")]
    [InlineData("(function(){}).constructor('return 1')()")]
    [InlineData("this.constructor.constructor('return this')()")]
    [InlineData("Object.getPrototypeOf(function*(){}).constructor('yield 1')")]
    [InlineData("Object.getPrototypeOf(async function(){}).constructor('return 1')")]
    [InlineData("Object.getPrototypeOf(async function*(){}).constructor('yield 1')")]
    public void Create_StringCompilation_IsRefused(string code)
    {
        var fault = Fault(() => Create().Evaluate(code));

        Assert.Equal(ScriptFaultKind.Thrown, fault.Kind);
        Assert.Contains("String compilation has been disabled", fault.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("System")]
    [InlineData("importNamespace")]
    [InlineData("clr")]
    [InlineData("host")]
    [InlineData("require")]
    [InlineData("process")]
    [InlineData("setTimeout")]
    [InlineData("setInterval")]
    [InlineData("setImmediate")]
    [InlineData("queueMicrotask")]
    [InlineData("requestAnimationFrame")]
    public void Create_HostOrTimerGlobal_DoesNotExist(string name)
    {
        var engine = Create();

        Assert.False(engine.Evaluate($"'{name}' in globalThis").AsBoolean());
        Assert.Equal(ScriptFaultKind.Thrown, Fault(() => engine.Evaluate($"{name}()")).Kind);
    }

    [Theory]
    [InlineData("SharedArrayBuffer")]
    [InlineData("Atomics")]
    [InlineData("WeakRef")]
    [InlineData("FinalizationRegistry")]
    [InlineData("ShadowRealm")]
    [InlineData("BigInt")]
    [InlineData("BigInt64Array")]
    [InlineData("BigUint64Array")]
    [InlineData("Temporal")]
    [InlineData("Intl")]
    [InlineData("DataView.prototype.getBigInt64")]
    [InlineData("DataView.prototype.setBigUint64")]
    [InlineData("RegExp.prototype.compile")]
    public void Create_BuiltInOutsideTheSandbox_IsUndefined(string expression)
    {
        var engine = Create();

        Assert.Equal("undefined", engine.Evaluate($"typeof {expression}").AsString());
        Assert.Equal(ScriptFaultKind.Thrown, Fault(() => engine.Evaluate($"{expression}()")).Kind);
    }

    [Fact]
    public void Create_DateNow_StaysAvailable()
    {
        Assert.True(Create().Evaluate("Date.now()").AsNumber() > 0);
    }

    [Fact]
    public void Create_DynamicImport_RejectsInsideTheScript()
    {
        var engine = Create();

        // Unprepared code: PrepareScript refuses import() before it ever gets here.
        engine.Execute("var failure; import('./x.js').catch(e => failure = e.name + ': ' + e.message);");

        Assert.Equal("TypeError: modules are not available to scripts", engine.Evaluate("failure").AsString());
    }

    private static readonly (string Member, ScriptLimits Limits)[] Sentinels =
    [
        ("Timeout", ScriptLimits.Default with { Timeout = TimeSpan.MaxValue }),
        ("Timeout", ScriptLimits.Default with { Timeout = TimeSpan.Zero }),
        ("Timeout", ScriptLimits.Default with { Timeout = Timeout.InfiniteTimeSpan }),
        ("RegexTimeout", ScriptLimits.Default with { RegexTimeout = TimeSpan.MaxValue }),
        ("MaxStatements", ScriptLimits.Default with { MaxStatements = int.MaxValue }),
        ("MaxStatements", ScriptLimits.Default with { MaxStatements = 0 }),
        ("MaxMemoryBytes", ScriptLimits.Default with { MaxMemoryBytes = long.MaxValue }),
        ("MaxMemoryBytes", ScriptLimits.Default with { MaxMemoryBytes = 0 }),
        ("MaxRecursionDepth", ScriptLimits.Default with { MaxRecursionDepth = -1 }),
    ];

    public static TheoryData<int> SentinelIndexes() => [.. Enumerable.Range(0, Sentinels.Length)];

    [Theory]
    [MemberData(nameof(SentinelIndexes))]
    public void Create_LimitThatJintReadsAsUnlimited_IsRejected(int index)
    {
        var (member, limits) = Sentinels[index];

        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => Create(limits));

        Assert.Equal(member, exception.ParamName);
    }

    [Fact]
    public void Begin_CancelledCallToken_RefusesToStartTheCall()
    {
        var engine = Create();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var exception = Assert.ThrowsAny<OperationCanceledException>(() => ScriptCallBudget.Of(engine).Begin(cts.Token));

        Assert.Equal(cts.Token, exception.CancellationToken);
    }

    [Fact]
    public void Begin_CallTokenCancelledDuringTheCall_FailsItAsCancelled()
    {
        // Only the token may end this call, so the limits are far away.
        var engine = Create(ScriptLimits.Default with { Timeout = TimeSpan.FromSeconds(10), MaxStatements = 1_000_000_000 });
        engine.Execute("function spin() { while (true) {} } function ok() { return 1; }");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMilliseconds(20));

        var budget = ScriptCallBudget.Of(engine);
        var stopwatch = Stopwatch.StartNew();
        ScriptFault fault;
        using (budget.Begin(cts.Token))
        {
            fault = Fault(() => engine.Invoke("spin"));
        }

        Assert.Equal(ScriptFaultKind.Cancelled, fault.Kind);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");

        // End() dropped the call's token: the next call is not cancelled.
        using (budget.Begin(TestContext.Current.CancellationToken))
        {
            Assert.Equal(1, engine.Invoke("ok").AsNumber());
        }
    }

    [Fact]
    public void Create_CancelledEngineToken_FailsTheRunningCallAndRefusesTheNext()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var engine = ScriptEngineFactory.Create(ScriptLimits.Default with { Timeout = TimeSpan.FromSeconds(10), MaxStatements = 1_000_000_000 }, cts.Token);
        engine.Execute("function spin() { while (true) {} }");
        cts.CancelAfter(TimeSpan.FromMilliseconds(20));

        var exception = Assert.ThrowsAny<OperationCanceledException>(() => engine.Invoke("spin"));

        Assert.Equal(cts.Token, exception.CancellationToken);
        Assert.Equal(ScriptFaultKind.Cancelled, ScriptFault.Classify(exception)!.Kind);
        Assert.ThrowsAny<OperationCanceledException>(() => ScriptCallBudget.Of(engine).Begin(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Begin_SeveralEntries_ShareOneTimeBudget()
    {
        // Only time should end this call (Date.now() allocates). Each entry alone stays well under the time limit; the
        // bracket ends them all once their CPU time passes twice the limit, or their wall time four times it (on a
        // busy machine the thread gets less CPU than wall time, and the budget grants the difference).
        var limits = ScriptLimits.Default with { Timeout = TimeSpan.FromMilliseconds(400), MaxStatements = 1_000_000_000, MaxMemoryBytes = 1L << 30 };
        var engine = Create(limits);
        engine.Execute("function spin(ms) { var end = Date.now() + ms; while (Date.now() < end) {} return ms; }");
        var half = limits.Timeout.TotalMilliseconds / 2;
        var budget = ScriptCallBudget.Of(engine);
        var stopwatch = Stopwatch.StartNew();
        ScriptFault? fault = null;
        var entries = 0;
        using (budget.Begin(TestContext.Current.CancellationToken))
        {
            while (fault is null && entries < 3 * ScriptCallBudget.WallClockAllowance)
            {
                entries++;
                try
                {
                    engine.Invoke("spin", half);
                }
                catch (Exception ex)
                {
                    fault = ScriptFault.Classify(ex);
                }
            }
        }

        Assert.Equal(ScriptFaultKind.Timeout, fault?.Kind);
        Assert.InRange(entries, 2, (2 * ScriptCallBudget.WallClockAllowance) + 1); // each alone would never fault
        Assert.InRange(stopwatch.Elapsed, limits.Timeout, (limits.Timeout * ScriptCallBudget.WallClockAllowance) + (limits.Timeout * 2));
        Assert.Equal(half, engine.Invoke("spin", half).AsNumber());
    }

    // A host function that keeps the thread from running the script, as a busy machine or a collection would.
    private static Engine WithPause(ScriptLimits limits, TimeSpan pause)
    {
        var engine = Create(limits);
        engine.SetValue("pause", new Jint.Runtime.Interop.ClrFunction(engine, "pause", (_, _) =>
        {
            Thread.Sleep(pause);
            return JsValue.Undefined;
        }));
        return engine;
    }

    [Fact]
    public void TimeLimit_ThreadNotRunningTheScript_NotCountedAgainstIt()
    {
        if (!ThreadCpuTime.IsSupported)
        {
            Assert.Fail("this platform has no per-thread CPU clock; the time limit is wall-clock there");
        }

        var limits = JintGuardsTests.Relaxed with { Timeout = TimeSpan.FromMilliseconds(200) };
        var engine = WithPause(limits, limits.Timeout * 1.5);

        var result = engine.Evaluate("pause(); let x = 0; for (let i = 0; i < 1000; i++) x++; x");

        Assert.Equal(1000, result.AsNumber());
    }

    [Fact]
    public void TimeLimit_ScriptKeepsTheCpuAfterAPause_StoppedWithinTwiceItsLimitOfCpu()
    {
        var limits = JintGuardsTests.Relaxed with { Timeout = TimeSpan.FromMilliseconds(200), MaxStatements = 1_000_000_000, MaxMemoryBytes = 1L << 30 };
        var engine = WithPause(limits, limits.Timeout * 1.5);
        var stopwatch = Stopwatch.StartNew();

        var fault = Fault(() => engine.Evaluate("pause(); while (true) {}"));

        Assert.Equal(ScriptFaultKind.Timeout, fault.Kind);
        Assert.InRange(stopwatch.Elapsed, limits.Timeout, limits.Timeout * (ScriptCallBudget.WallClockAllowance + 2));
    }

    [Fact]
    public void TimeLimit_ThreadKeptAwayPastTheWallClockAllowance_Stopped()
    {
        var limits = JintGuardsTests.Relaxed with { Timeout = TimeSpan.FromMilliseconds(100) };
        var engine = WithPause(limits, limits.Timeout * 1.5);

        var fault = Fault(() => engine.Evaluate("for (let i = 0; i < 4; i++) pause(); let x = 0; for (let i = 0; i < 1000; i++) x++; x"));

        Assert.Equal(ScriptFaultKind.Timeout, fault.Kind);
    }

    [Fact]
    public void Of_EngineNotMadeByTheFactory_Throws()
    {
        Assert.Throws<ArgumentException>(() => ScriptCallBudget.Of(new Engine()));
    }

    [Theory]
    [InlineData("var big = 12345678901234567890n;", "BigInt literals")]
    [InlineData("function f() { return 1n << 64n; }", "BigInt literals")]
    [InlineData("async function load() { return import('./other.js'); }", "import()")]
    public void PrepareScript_SyntaxTheSandboxCannotBound_IsRefused(string code, string what)
    {
        var exception = Assert.Throws<ScriptPreparationException>(() => ScriptEngineFactory.PrepareScript(code, "valve.js", ScriptLimits.Default));

        Assert.Contains(what, exception.Message, StringComparison.Ordinal);
        Assert.Contains("valve.js:1:", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrepareScript_InvalidSyntax_ThrowsScriptPreparationException()
    {
        Assert.Throws<ScriptPreparationException>(() => ScriptEngineFactory.PrepareScript("function (", "valve.js", ScriptLimits.Default));
    }

    [Fact]
    public void PrepareScript_PreparedOnce_RunsInManyEngines()
    {
        var prepared = ScriptEngineFactory.PrepareScript("function beforeTransmit(m) { return m.toUpperCase(); }", "valve.js", ScriptLimits.Default);

        for (var i = 0; i < 3; i++)
        {
            var engine = Create();
            engine.Execute(prepared);
            Assert.Equal("PING", engine.Invoke("beforeTransmit", "ping").AsString());
        }
    }

    [Fact]
    public void PrepareScript_CatastrophicRegexLiteral_StopsAtTheScriptRegexTimeout()
    {
        // Literals are compiled at preparation; without the limit here they would keep Jint's 10 s default.
        var limits = JintGuardsTests.Relaxed with { RegexTimeout = TimeSpan.FromMilliseconds(20) };
        var prepared = ScriptEngineFactory.PrepareScript("function test(s) { return /(a+)+$/.test(s); }", "valve.js", limits);
        var engine = Create(limits);
        engine.Execute(prepared);

        var stopwatch = Stopwatch.StartNew();
        var fault = Fault(() => engine.Invoke("test", new string('a', 28) + "!"));

        Assert.Equal(ScriptFaultKind.Regex, fault.Kind);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void Create_FunctionReturningAString_ReturnsIt()
    {
        var engine = Create();
        engine.Execute(ScriptEngineFactory.PrepareScript("function afterReceive(m) { return JSON.stringify({ echo: JSON.parse(m) }); }", "valve.js", ScriptLimits.Default));

        Assert.Equal("""{"echo":{"a":[1,2]}}""", engine.Invoke("afterReceive", """{"a":[1,2]}""").AsString());
        Assert.True(engine.Invoke("afterReceive", "1") is JsString);
    }
}

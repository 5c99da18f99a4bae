using System.Text.RegularExpressions;
using Jint;
using Jint.Runtime;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Tests.Scripting;

[Collection(nameof(ScriptTimingCollection))]
public sealed class ScriptFaultTests
{
    private static Engine Create(ScriptLimits? limits = null) =>
        ScriptEngineFactory.Create(limits ?? JintGuardsTests.Relaxed, TestContext.Current.CancellationToken);

    private static Exception Failure(Engine engine, string code, string name = "valve.js") =>
        Assert.ThrowsAny<Exception>(() => engine.Execute(ScriptEngineFactory.PrepareScript(code, name, ScriptLimits.Default)));

    public static TheoryData<string> HostBugs() => [nameof(InvalidOperationException), nameof(ArgumentException), nameof(NullReferenceException), nameof(ScriptPreparationException)];

    [Theory]
    [MemberData(nameof(HostBugs))]
    public void Classify_ExceptionNoScriptCallRaises_ReturnsNull(string type)
    {
        Exception exception = type switch
        {
            nameof(InvalidOperationException) => new InvalidOperationException("bug"),
            nameof(ArgumentException) => new ArgumentException("bug"),
            nameof(NullReferenceException) => new NullReferenceException(),
            _ => new ScriptPreparationException("does not parse", innerException: null),
        };

        Assert.Null(ScriptFault.Classify(exception));
    }

    public static TheoryData<string, string> LimitExceptions() => new()
    {
        { nameof(TimeoutException), nameof(ScriptFaultKind.Timeout) },
        { nameof(OperationCanceledException), nameof(ScriptFaultKind.Cancelled) },
        { nameof(TaskCanceledException), nameof(ScriptFaultKind.Cancelled) },
        { nameof(ExecutionCanceledException), nameof(ScriptFaultKind.Cancelled) },
        { nameof(StatementsCountOverflowException), nameof(ScriptFaultKind.Statements) },
        { nameof(MemoryLimitExceededException), nameof(ScriptFaultKind.Memory) },
        { nameof(RegexMatchTimeoutException), nameof(ScriptFaultKind.Regex) },
        { "wrapped " + nameof(RegexMatchTimeoutException), nameof(ScriptFaultKind.Regex) },
    };

    [Theory]
    [MemberData(nameof(LimitExceptions))]
    public void Classify_LimitException_MapsToItsKind(string type, string kind)
    {
        Exception exception = type switch
        {
            nameof(TimeoutException) => new TimeoutException(),
            nameof(OperationCanceledException) => new OperationCanceledException(),
            nameof(TaskCanceledException) => new TaskCanceledException(),
            nameof(ExecutionCanceledException) => new ExecutionCanceledException(),
            nameof(StatementsCountOverflowException) => new StatementsCountOverflowException(),
            nameof(MemoryLimitExceededException) => new MemoryLimitExceededException("Script has allocated 9000000 but is limited to 8388608"),
            nameof(RegexMatchTimeoutException) => new RegexMatchTimeoutException("aaa", "(a+)+$", TimeSpan.FromMilliseconds(20)),
            _ => new InvalidOperationException("converted", new RegexMatchTimeoutException("aaa", "(a+)+$", TimeSpan.FromMilliseconds(20))),
        };

        Assert.Equal(Enum.Parse<ScriptFaultKind>(kind), ScriptFault.Classify(exception)!.Kind);
    }

    [Fact]
    public void Classify_ScriptThrow_ReportsTheMessageAndWhereItWasThrown()
    {
        var exception = Failure(Create(), "function f() {\n  var x = 1;\n  throw new TypeError('bad message');\n}\nf();");

        var fault = ScriptFault.Classify(exception)!;

        Assert.Equal(new ScriptFault(ScriptFaultKind.Thrown, "bad message", "valve.js", 3, 8), fault);
    }

    [Fact]
    public void Classify_ThrownNonError_IsThrown()
    {
        var fault = ScriptFault.Classify(Failure(Create(), "throw 42;"))!;

        Assert.Equal(ScriptFaultKind.Thrown, fault.Kind);
        Assert.Equal("42", fault.Message);
    }

    [Fact]
    public void Classify_ScriptsOwnRangeError_IsThrown()
    {
        Assert.Equal(ScriptFaultKind.Thrown, ScriptFault.Classify(Failure(Create(), "throw new RangeError('mine');"))!.Kind);
    }

    [Fact]
    public void Classify_GuardRefusal_IsMemoryWithTheGuardsMessage()
    {
        var fault = ScriptFault.Classify(Failure(Create(), "\nnew ArrayBuffer(2e9);"))!;

        Assert.Equal(ScriptFaultKind.Memory, fault.Kind);
        Assert.StartsWith("allocation of 2000000000 bytes exceeds the script memory limit of 8388608 bytes", fault.Message, StringComparison.Ordinal);
        Assert.Equal(2, fault.Line);
    }

    [Fact]
    public void Classify_StackGuard_IsRecursion()
    {
        // Exhausting the native stack takes a while; the time limit must not end it first.
        var engine = Create(ScriptLimits.Default with { Timeout = TimeSpan.FromSeconds(10) });

        var fault = ScriptFault.Classify(Failure(engine, "var o = { valueOf() { return +this; } }; +o;"))!;

        Assert.Equal(ScriptFaultKind.Recursion, fault.Kind);
    }

    [Fact]
    public void Classify_RecursionLimit_IsRecursion()
    {
        var fault = ScriptFault.Classify(Failure(Create(), "function f() { f(); } f();"))!;

        Assert.Equal(ScriptFaultKind.Recursion, fault.Kind);
        Assert.Contains("f->f", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_Timeout_ReportsTheScriptItStoppedIn()
    {
        // Only time should end this loop: counting allocates numbers, so memory is plentiful too.
        var engine = Create(ScriptLimits.Default with { MaxStatements = 1_000_000_000, MaxMemoryBytes = 1L << 30 });

        var fault = ScriptFault.Classify(Failure(engine, "var i = 0;\nwhile (true) { i++; }", "loop.js"))!;

        Assert.Equal(ScriptFaultKind.Timeout, fault.Kind);
        Assert.Equal("loop.js", fault.Source);
    }

    [Fact]
    public async Task Classify_ErrorWhosePrototypeIsAProxy_RunsNoScript()
    {
        // Classify runs on the host after the call, outside every limit: touching the proxy would spin forever.
        var exception = Failure(Create(), """
            var e = new RangeError('x');
            Object.setPrototypeOf(e, new Proxy({}, {
                get() { while (true) {} },
                getOwnPropertyDescriptor() { while (true) {} },
                getPrototypeOf() { while (true) {} },
            }));
            throw e;
            """);

        var fault = await Task.Run(() => ScriptFault.Classify(exception), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(ScriptFaultKind.Thrown, fault!.Kind);
    }
}

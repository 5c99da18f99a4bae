using System.Text.RegularExpressions;
using Jint;
using Jint.Runtime;

namespace WsBalancer.Host.Scripting;

/// <summary>How a script call failed.</summary>
internal enum ScriptFaultKind
{
    Thrown,
    Timeout,
    Statements,
    Memory,
    Recursion,
    Regex,
    Cancelled,
    TooBig,

    /// <summary>The session had used its script time for the window: the call was not made.</summary>
    Budget,
}

/// <summary>A failed script call: what kind, what it said, and where (file:line) when the engine knows.</summary>
internal sealed record ScriptFault(ScriptFaultKind Kind, string Message, string Location)
{
    /// <summary>A broken limit (as opposed to a script's own exception): these count towards quarantine.</summary>
    public bool IsLimitBreak => Kind is not (ScriptFaultKind.Thrown or ScriptFaultKind.Cancelled or ScriptFaultKind.Budget);

    public static ScriptFault TooBig(string file, int size, int limit) =>
        new(ScriptFaultKind.TooBig, $"a message of {size} bytes exceeds the script message limit of {limit}", file);

    /// <summary>Maps what a call can throw to a fault; null for anything else (a host bug, which must propagate).</summary>
    public static ScriptFault? Classify(Exception exception, string file) => exception switch
    {
        JavaScriptException js => new(ScriptFaultKind.Thrown, js.Message, $"{file}:{js.Location.Start.Line}"),
        StatementsCountOverflowException => new(ScriptFaultKind.Statements, "too many statements", file),
        MemoryLimitExceededException => new(ScriptFaultKind.Memory, "memory limit exceeded", file),
        RecursionDepthOverflowException => new(ScriptFaultKind.Recursion, "recursion limit exceeded", file),
        RegexMatchTimeoutException => new(ScriptFaultKind.Regex, "regular expression time limit exceeded", file),
        TimeoutException => new(ScriptFaultKind.Timeout, "time limit exceeded", file),
        JintException jint when jint.InnerException is RegexMatchTimeoutException => new(ScriptFaultKind.Regex, "regular expression time limit exceeded", file),
        JintException jint => new(ScriptFaultKind.Thrown, jint.Message, file),
        _ => null,
    };
}

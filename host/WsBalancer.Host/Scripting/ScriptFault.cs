using System.Text.RegularExpressions;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;

namespace WsBalancer.Host.Scripting;

/// <summary>Why a call into a script did not return normally.</summary>
internal enum ScriptFaultKind
{
    /// <summary>The script threw (a JavaScript error it did not catch, or <c>throw</c> of any value).</summary>
    Thrown,

    /// <summary>The call ran past <see cref="ScriptLimits.Timeout"/>.</summary>
    Timeout,

    /// <summary>The call executed more than <see cref="ScriptLimits.MaxStatements"/> statements.</summary>
    Statements,

    /// <summary>
    /// The call allocated more than <see cref="ScriptLimits.MaxMemoryBytes"/>, or asked a built-in for a single
    /// allocation that would have taken it past that limit (see <see cref="JintGuards"/>).
    /// </summary>
    Memory,

    /// <summary>The call nested deeper than <see cref="ScriptLimits.MaxRecursionDepth"/>, or nearly ran out of native stack.</summary>
    Recursion,

    /// <summary>
    /// One regular expression match ran past <see cref="ScriptLimits.RegexTimeout"/>, or the script built a pattern
    /// longer than the sandbox compiles.
    /// </summary>
    Regex,

    /// <summary>A token given to the engine or to <see cref="ScriptCallBudget.Begin"/> was cancelled.</summary>
    Cancelled,

    /// <summary>The message was larger than <see cref="ScriptLimits.MaxMessageBytes"/>: the script was not called.</summary>
    TooBig,

    /// <summary>The session had spent its script time for the window: the script was not called.</summary>
    Budget,

    /// <summary>The engine threw something the sandbox does not classify: an engine or guard bug, contained to the call.</summary>
    Unexpected,
}

/// <summary>
/// What went wrong in one script call, as a value the caller maps to the script's on-error outcome.
/// </summary>
/// <param name="Kind">Which limit or failure it was.</param>
/// <param name="Message">A one-line description, safe to log (it never contains message payloads).</param>
/// <param name="Source">The script's name as given to <see cref="ScriptEngineFactory.PrepareScript"/>, when Jint reports a location.</param>
/// <param name="Line">1-based line of the statement that failed, when Jint reports a location.</param>
/// <param name="Column">0-based column of that statement, when Jint reports a location.</param>
internal sealed record ScriptFault(ScriptFaultKind Kind, string Message, string? Source = null, int? Line = null, int? Column = null)
{
    /// <summary>A broken limit (as opposed to the script's own exception, or a call not made): counts towards quarantine.</summary>
    // A message over the size limit is the sender's doing, not the script's: were it a break, any client could quarantine
    // a filter for every session by sending a few large messages.
    public bool IsLimitBreak => Kind is not (ScriptFaultKind.Thrown or ScriptFaultKind.Cancelled or ScriptFaultKind.Budget or ScriptFaultKind.TooBig);

    /// <summary>Where it failed, <c>file:line</c>, or the file alone when the engine did not say.</summary>
    public string Location => Line is { } line ? $"{Source}:{line}" : Source ?? "?";

    public static ScriptFault TooBig(string file, int size, int limit) =>
        new(ScriptFaultKind.TooBig, $"A message of {size} bytes exceeds the script message limit of {limit}.", file);

    /// <summary><see cref="Classify(Exception)"/>, with <paramref name="file"/> as the source when the engine gave none.</summary>
    public static ScriptFault? Classify(Exception exception, string file) =>
        Classify(exception) is { } fault ? (fault.Source is null ? fault with { Source = file } : fault) : null;

    /// <summary>
    /// Maps what a call into an engine made by <see cref="ScriptEngineFactory"/> can throw to a fault, or returns
    /// <see langword="null"/> for anything else: such an exception is a host bug and the caller must let it propagate.
    /// </summary>
    /// <remarks>
    /// A guard's <c>RangeError</c> (see <see cref="JintGuards"/>) is reported as <see cref="ScriptFaultKind.Memory"/>
    /// (or <see cref="ScriptFaultKind.Regex"/> for a pattern over the length cap) even though it reaches the host as a
    /// <see cref="JavaScriptException"/>: the script only sees it when it asked for too much, and operators need it
    /// counted with the other limit hits. It is recognised by its message, so a script that throws the same text
    /// itself is reported the same way, which is harmless: either way the call failed. The same goes for Jint's stack
    /// guard, whose catchable <c>RangeError: Maximum call stack size exceeded</c> is reported as
    /// <see cref="ScriptFaultKind.Recursion"/>.
    /// <para>
    /// Cancellation is reported as <see cref="ScriptFaultKind.Cancelled"/> whichever token fired; a caller that must let
    /// its own session token propagate (STYLE.md, "Errors") checks that token before asking for a fault.
    /// </para>
    /// </remarks>
    // Jint's error prototype class is internal; RangeError.prototype is an instance of it, a proxy or plain object is not.
    private static readonly Type? ErrorPrototypeType = typeof(JsError).Assembly.GetType("Jint.Native.Error.ErrorPrototype");

    public static ScriptFault? Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // Jint surfaces a regex timeout either bare or as the inner exception of the error it was converted to.
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is RegexMatchTimeoutException regex)
            {
                return Locate(ScriptFaultKind.Regex, $"A regular expression match ran past its {regex.MatchTimeout.TotalMilliseconds:0} ms limit.", exception);
            }
        }

        return exception switch
        {
            OperationCanceledException => Locate(ScriptFaultKind.Cancelled, "The script call was cancelled.", exception),
            ExecutionCanceledException => Locate(ScriptFaultKind.Cancelled, "The script call was cancelled.", exception),
            TimeoutException => Locate(ScriptFaultKind.Timeout, "The script call ran past its time limit.", exception),
            StatementsCountOverflowException => Locate(ScriptFaultKind.Statements, "The script call executed more statements than its limit.", exception),
            MemoryLimitExceededException => Locate(ScriptFaultKind.Memory, exception.Message, exception),
            RecursionDepthOverflowException recursion => Locate(ScriptFaultKind.Recursion, $"The script call nested deeper than its limit ({recursion.CallChain}).", exception),
            JavaScriptException thrown => FromJavaScript(thrown),
            _ => null,
        };
    }

    private static ScriptFault FromJavaScript(JavaScriptException exception)
    {
        var kind = ScriptFaultKind.Thrown;
        if (IsRangeError(exception.Error))
        {
            var message = exception.Message;
            kind = message switch
            {
                JintGuards.StackExhaustedMessage => ScriptFaultKind.Recursion,
                _ when message.Contains(JintGuards.PatternLimitPhrase, StringComparison.Ordinal) => ScriptFaultKind.Regex,
                _ when message.Contains(JintGuards.LimitPhrase, StringComparison.Ordinal) => ScriptFaultKind.Memory,
                _ => ScriptFaultKind.Thrown,
            };
        }

        var location = exception.Location;
        return new ScriptFault(kind, exception.Message, location.SourceFile, location.Start.Line, location.Start.Column);
    }

    // Runs on the host after the call has returned, outside every limit, so it must not run script: only a real error
    // object is looked at (a proxy's traps would be script), and only its prototype's own data property "name", read
    // when that prototype is itself an error prototype rather than anything a script put there.
    private static bool IsRangeError(JsValue error) =>
        error is JsError { Prototype: { } prototype }
        && prototype.GetType() == ErrorPrototypeType
        && prototype.GetOwnProperty("name") is { } name
        && name.IsDataDescriptor()
        && name.Value is JsString { } value
        && value.ToString() == "RangeError";

    // Constraint exceptions carry no location of their own; Jint records the statement it was executing in the
    // exception's data, which is the most useful pointer an operator gets for "which loop never ended".
    private static ScriptFault Locate(ScriptFaultKind kind, string message, Exception exception) =>
        JintException.TryGetJavaScriptLocation(exception, out var location)
            ? new ScriptFault(kind, message, location.SourceFile, location.Start.Line, location.Start.Column)
            : new ScriptFault(kind, message);
}

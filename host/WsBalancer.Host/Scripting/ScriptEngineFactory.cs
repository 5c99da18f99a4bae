using Jint;

namespace WsBalancer.Host.Scripting;

/// <summary>Creates sandboxed engines (placeholder until the sandbox with allocation guards lands).</summary>
internal static class ScriptEngineFactory
{
    public static Engine Create(ScriptLimits limits) => new(options => options
        .Strict()
        .TimeoutInterval(limits.Timeout)
        .MaxStatements(limits.MaxStatements)
        .LimitMemory(limits.MaxMemoryBytes)
        .LimitRecursion(limits.MaxRecursionDepth)
        .RegexTimeoutInterval(limits.RegexTimeout)
        .DisableStringCompilation());
}

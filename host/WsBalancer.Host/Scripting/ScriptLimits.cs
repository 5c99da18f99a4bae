namespace WsBalancer.Host.Scripting;

/// <summary>
/// What one call into a script may use. Every limit is always set: Jint takes a "maximum" value (int.MaxValue,
/// TimeSpan.MaxValue) as "no limit", so each is validated to a finite range.
/// </summary>
internal sealed record ScriptLimits
{
    public static readonly ScriptLimits Default = new();

    /// <summary>Wall time of one call (and of the script's top level when it is loaded). Default: 50 ms.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Statements one call may execute. Default: 100 000.</summary>
    public int MaxStatements { get; init; } = 100_000;

    /// <summary>Bytes one call may allocate, including single huge allocations the engine does not count itself. Default: 8 MiB.</summary>
    public long MaxMemoryBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Depth of nested JavaScript calls. Default: 64.</summary>
    public int MaxRecursionDepth { get; init; } = 64;

    /// <summary>Time one regular expression match may take. Default: 20 ms.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The largest <see cref="MaxMessageBytes"/> a script header may ask for.</summary>
    public const int LargestMessageBytes = 256 * 1024 * 1024;

    /// <summary>
    /// Largest message handed to a script, in bytes; a larger one gets the script's on-error outcome. Default: 1 MiB
    /// (or the server's max-message-size when smaller). It bounds what the guards cannot: a statement that copies or
    /// enumerates the whole message (a template literal, <c>for…in</c> over a string) costs time and memory in
    /// proportion to it within one step.
    /// </summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;
}

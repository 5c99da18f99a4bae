namespace WsBalancer.Host.Scripting;

/// <summary>The scripting part of the configuration: <c>server.scripts-dir</c> and the <c>scripts:</c> section.</summary>
internal sealed record ScriptSettings
{
    /// <summary>Where script valves live (<c>*.js</c>, one valve per file). Default: <c>scripts</c> under the working directory.</summary>
    public string Directory { get; init; } = "scripts";

    /// <summary>Limits of every call, unless a script's header comments lower or raise them.</summary>
    public ScriptLimits Limits { get; init; } = ScriptLimits.Default;

    /// <summary>Limit breaks within a minute after which a script is quarantined. Default: 10.</summary>
    public int QuarantineAfter { get; init; } = 10;

    /// <summary>Script time one session may use within <see cref="SessionBudgetWindow"/>. Default: 200 ms.</summary>
    public TimeSpan SessionBudget { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The rolling window of <see cref="SessionBudget"/>. Default: 10 s.</summary>
    public TimeSpan SessionBudgetWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a session's engine for a script may go uncalled before it is let go, when nothing would be lost (its
    /// state is plain data and its top-level bindings are unchanged); the next call makes a fresh one with that state.
    /// Zero keeps every engine for the session's life. Default: 10 s.
    /// </summary>
    public TimeSpan EngineIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest script file, in bytes; a larger one is reported and not loaded. Fixed: 1 MiB.</summary>
    public int MaxScriptBytes { get; init; } = 1024 * 1024;

    /// <summary>How long a file must stay unchanged before it is loaded. Fixed: 300 ms (tests shorten it).</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>How often the folder is looked at. Fixed: 200 ms, so a save applies within about half a second.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}

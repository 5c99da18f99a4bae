using WsBalancer.Host.Metrics;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// One script name and what is live for it now: its current version, whether it may run, its counters. Stable
/// across versions, so a session keeps its per-script engine and state keyed by the slot and moves to a new version on
/// its next call. Written by the library only; read by every session without locks.
/// </summary>
internal sealed class ScriptSlot
{
    private ScriptFile? _current;
    private int _disabled;
    private int _quarantined;

    public ScriptSlot(string name, ScriptConsole console)
    {
        Name = name;
        Console = console;
    }

    /// <summary>The script's console: one per script, so its rate limit holds across all sessions.</summary>
    public ScriptConsole Console { get; }

    public string Name { get; }

    public ScriptStats Stats { get; } = new();

    /// <summary>The script's metric series, set by the first session that measures a call (any of them sets the same).</summary>
    public ScriptMetrics.Series? Series { get; set; }

    public ScriptFile? Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }

    public bool Disabled
    {
        get => Volatile.Read(ref _disabled) == 1;
        set => Volatile.Write(ref _disabled, value ? 1 : 0);
    }

    public bool Quarantined
    {
        get => Volatile.Read(ref _quarantined) == 1;
        set => Volatile.Write(ref _quarantined, value ? 1 : 0);
    }

    /// <summary>The version to run now, or null when there is none or the script is switched off.</summary>
    public ScriptFile? Runnable => Disabled || Quarantined ? null : Current;

    /// <summary>Why the last load failed (file, line, column), or null; the previous version stays current meanwhile.</summary>
    public string? Error { get; set; }

    public DateTimeOffset? ErrorAt { get; set; }

    public string? QuarantineReason { get; set; }

    /// <summary>The last failed call (kind, message, file:line), for the admin API.</summary>
    public string? LastFault { get; set; }

    // Library-only state: the file's fingerprint when last seen, since when, and of the content last loaded or refused.
    public string? SeenFingerprint { get; set; }

    public long SeenSince { get; set; }

    public string? LoadedFingerprint { get; set; }

    public int Versions { get; set; }

    /// <summary>When recent limit breaks happened (for quarantine), oldest first; guarded by the slot.</summary>
    public Queue<long> RecentBreaks { get; } = new();
}

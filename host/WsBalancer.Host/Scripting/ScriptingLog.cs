using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Scripting;

// Event ids 1500-1599 belong to Scripting. Never renumber or reuse one: alerts key on them.
internal static partial class ScriptingLog
{
    [LoggerMessage(1501, LogLevel.Information, "Script {ScriptName} loaded (version {Version}, {Hash}).")]
    public static partial void Loaded(ILogger logger, string scriptName, int version, string hash);

    [LoggerMessage(1502, LogLevel.Warning, "Script {ScriptName} not loaded: {Reason}; its previous version, if any, stays active.")]
    public static partial void LoadFailed(ILogger logger, string scriptName, string reason);

    [LoggerMessage(1503, LogLevel.Information, "Script {ScriptName} removed: its file was deleted.")]
    public static partial void Removed(ILogger logger, string scriptName);

    [LoggerMessage(1504, LogLevel.Warning, "Script {ScriptName} failed in {Hook} ({Fault}) at {Location}: {Reason} ({Count} time(s) in the last {Seconds} s).")]
    public static partial void CallFailed(ILogger logger, string scriptName, string hook, string fault, string location, string reason, long count, int seconds);

    [LoggerMessage(1505, LogLevel.Warning, "Script {ScriptName} quarantined: {Breaks} limit breaks within a minute; it runs again once edited or enabled.")]
    public static partial void Quarantined(ILogger logger, string scriptName, int breaks);

    [LoggerMessage(1506, LogLevel.Information, "Script {ScriptName} {Location}: {Text}")]
    public static partial void ConsoleInfo(ILogger logger, string scriptName, string location, string text);

    [LoggerMessage(1507, LogLevel.Warning, "Script {ScriptName} {Location}: {Text}")]
    public static partial void ConsoleWarn(ILogger logger, string scriptName, string location, string text);

    [LoggerMessage(1508, LogLevel.Error, "Script {ScriptName} {Location}: {Text}")]
    public static partial void ConsoleError(ILogger logger, string scriptName, string location, string text);

    [LoggerMessage(1509, LogLevel.Warning, "Script {ScriptName}: {Count} console line(s) suppressed in the last {Seconds} s.")]
    public static partial void ConsoleSuppressed(ILogger logger, string scriptName, long count, int seconds);

    [LoggerMessage(1510, LogLevel.Warning, "Session {SessionId} used its script budget ({Budget} ms per {Window} s); scripts are skipped for it until the window moves on.")]
    public static partial void BudgetExhausted(ILogger logger, string sessionId, double budget, double window);

    [LoggerMessage(1511, LogLevel.Warning, "Scripts folder {Directory}: cannot read it: {Reason}")]
    public static partial void ScanFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(1512, LogLevel.Error, "Script watcher failed unexpectedly; it tries again at every poll (said again only after a round that succeeds).")]
    public static partial void WatcherFailed(ILogger logger, Exception exception);

    [LoggerMessage(1513, LogLevel.Debug, "Released {Count} idle script engine(s); their state waits for the next call.")]
    public static partial void IdleEnginesReleased(ILogger logger, int count);

    [LoggerMessage(1514, LogLevel.Error, "Idle script engine sweep failed unexpectedly; it tries again at its next round (said again only after a round that succeeds).")]
    public static partial void IdleSweepFailed(ILogger logger, Exception exception);
}

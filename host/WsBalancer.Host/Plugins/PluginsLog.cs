using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Plugins;

// Event ids 1400-1499 belong to Plugins. Never renumber or reuse one: alerts key on them.
internal static partial class PluginsLog
{
    [LoggerMessage(1401, LogLevel.Information, "Plugin {PluginName} {PluginVersion} loaded from {SourcePath}: {Types}.")]
    public static partial void Loaded(ILogger logger, string pluginName, string pluginVersion, string sourcePath, string types);

    [LoggerMessage(1402, LogLevel.Warning, "Plugin {PluginName} failed to load from {SourcePath}: {Reason}")]
    public static partial void LoadFailed(ILogger logger, string pluginName, string sourcePath, string reason);

    [LoggerMessage(1403, LogLevel.Information, "Plugin {PluginName} {PluginVersion} retired: its last session ended; unloading.")]
    public static partial void Retired(ILogger logger, string pluginName, string pluginVersion);

    [LoggerMessage(1404, LogLevel.Information, "Plugin {PluginName} {PluginVersion} unloaded.")]
    public static partial void Unloaded(ILogger logger, string pluginName, string pluginVersion);

    [LoggerMessage(1405, LogLevel.Warning, "Plugin {PluginName} {PluginVersion} is still loaded {Seconds} s after its last session ended: something holds a reference to it (a static, a timer, a thread, an event handler).")]
    public static partial void UnloadStuck(ILogger logger, string pluginName, string pluginVersion, int seconds);

    [LoggerMessage(1406, LogLevel.Information, "Plugin {PluginName} removed ({Why}); {Sessions} live session(s) keep its old version until they end.")]
    public static partial void Removed(ILogger logger, string pluginName, string why, int sessions);

    [LoggerMessage(1407, LogLevel.Warning, "Plugin {PluginName}: disposing {TypeName} failed.")]
    public static partial void DisposeFailed(ILogger logger, string pluginName, string typeName, Exception exception);

    [LoggerMessage(1408, LogLevel.Warning, "Plugin {PluginName}: {TypeName} threw ({Count} time(s) in the last {Seconds} s; the message was dropped or the call skipped).")]
    public static partial void PartFailed(ILogger logger, string pluginName, string typeName, long count, int seconds, Exception exception);

    [LoggerMessage(1409, LogLevel.Warning, "The configured dialer {Dialer} is not loaded; new clients get 502 until it is.")]
    public static partial void DialerMissing(ILogger logger, string dialer);

    [LoggerMessage(1410, LogLevel.Debug, "Plugin folder {SourcePath} holds a project (*.csproj), not a built plugin; skipped.")]
    public static partial void SourceFolderSkipped(ILogger logger, string sourcePath);

    [LoggerMessage(1411, LogLevel.Warning, "Plugin folders: cannot read {Directory}: {Reason}")]
    public static partial void ScanFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(1412, LogLevel.Error, "Plugin watcher failed unexpectedly; it tries again at every poll (said again only after a round that succeeds).")]
    public static partial void WatcherFailed(ILogger logger, Exception exception);
}

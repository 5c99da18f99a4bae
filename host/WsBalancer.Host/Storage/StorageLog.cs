using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Storage;

// Event ids 1600-1699 belong to Storage. Never renumber or reuse one: alerts key on them.
internal static partial class StorageLog
{
    [LoggerMessage(1601, LogLevel.Information, "Backend database {Path} opened with {Count} stored backends.")]
    public static partial void Opened(ILogger logger, string path, int count);

    [LoggerMessage(1602, LogLevel.Information, "Backends reconciled with the configuration: {Added} added, {Updated} updated, {Removed} removed, {KeptDeleted} kept deleted.")]
    public static partial void Reconciled(ILogger logger, int added, int updated, int removed, int keptDeleted);

    [LoggerMessage(1603, LogLevel.Information, "Backend {BackendId} added from the configuration.")]
    public static partial void ConfigAdded(ILogger logger, string backendId);

    [LoggerMessage(1604, LogLevel.Information, "Backend {BackendId} updated from the configuration.")]
    public static partial void ConfigUpdated(ILogger logger, string backendId);

    [LoggerMessage(1605, LogLevel.Information, "Backend {BackendId} updated: the configuration took it over from the admin API.")]
    public static partial void ConfigTookOver(ILogger logger, string backendId);

    [LoggerMessage(1606, LogLevel.Information, "Backend {BackendId} removed: the configuration no longer names it.")]
    public static partial void ConfigRemoved(ILogger logger, string backendId);

    [LoggerMessage(1607, LogLevel.Information, "Backend {BackendId} kept deleted: it was deleted through the admin API while the configuration names it.")]
    public static partial void KeptDeleted(ILogger logger, string backendId);

    [LoggerMessage(1608, LogLevel.Warning, "Backend {BackendId} from the configuration has the same URL as backend {OtherBackendId}.")]
    public static partial void DuplicateUrl(ILogger logger, string backendId, string otherBackendId);

    [LoggerMessage(1609, LogLevel.Information, "Backend {BackendId} added through the admin API.")]
    public static partial void ApiAdded(ILogger logger, string backendId);

    [LoggerMessage(1610, LogLevel.Information, "Backend {BackendId} {State} through the admin API.")]
    public static partial void ApiSwitched(ILogger logger, string backendId, string state);

    [LoggerMessage(1611, LogLevel.Information, "Backend {BackendId} deleted through the admin API ({Kind}).")]
    public static partial void ApiDeleted(ILogger logger, string backendId, string kind);
}

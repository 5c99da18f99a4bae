using Microsoft.Extensions.Logging;

namespace WsBalancer.Plugins.SessionAudit;

// Event ids 3000-3099 belong to the SessionAudit plugin. Never renumber or reuse one: alerts key on them.
internal static partial class SessionAuditLog
{
    [LoggerMessage(3001, LogLevel.Information, "Session audit opened {Path} with {Count} records; keeping {MaxAge} and at most {MaxRecords} records.")]
    public static partial void Opened(ILogger logger, string path, long count, string maxAge, long maxRecords);

    [LoggerMessage(3002, LogLevel.Warning, "Session audit queue full ({Capacity} records): {Dropped} records dropped since the last report, {TotalDropped} in all.")]
    public static partial void QueueFull(ILogger logger, int capacity, long dropped, long totalDropped);

    [LoggerMessage(3003, LogLevel.Warning, "Session audit tracks at most {MaxTrackedSessions} sessions: {Evicted} least recently active sessions forgotten since the last report; their failovers are recorded without the previous backend.")]
    public static partial void SessionsEvicted(ILogger logger, int maxTrackedSessions, long evicted);

    [LoggerMessage(3004, LogLevel.Warning, "Session audit could not write records to the {Target}: {Count} lost since the last report.")]
    public static partial void WriteFailed(ILogger logger, long count, string target, Exception exception);

    [LoggerMessage(3005, LogLevel.Warning, "Session audit retention pass failed.")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(3006, LogLevel.Debug, "Session audit retention deleted {ByAge} records older than {MaxAge}, {ByCount} beyond {MaxRecords} records, and {Files} export files.")]
    public static partial void Trimmed(ILogger logger, int byAge, string maxAge, int byCount, long maxRecords, int files);

    [LoggerMessage(3007, LogLevel.Warning, "Session audit stopped before writing {Count} queued records: the writer did not finish within {Timeout}.")]
    public static partial void Abandoned(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(3008, LogLevel.Error, "Session audit writer failed; records are no longer written.")]
    public static partial void WriterFailed(ILogger logger, Exception exception);
}

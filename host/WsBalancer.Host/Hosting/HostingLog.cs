using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Hosting;

// Event ids 1800-1899 belong to Hosting: 1801-1809 shutdown of the process, 1811-1819 listeners and their certificates. Never renumber or reuse one.
// The shutdown's phases are Warnings so that the default level (WARN) shows them: an operator must see a stop.
internal static partial class HostingLog
{
    [LoggerMessage(1801, LogLevel.Warning, "Shutting down: refusing new sessions, draining {Sessions} live session(s) for up to {DrainTimeout}.")]
    public static partial void Draining(ILogger logger, int sessions, string drainTimeout);

    [LoggerMessage(1802, LogLevel.Warning, "Shutting down: drained; {Ended} session(s) ended by themselves, {Forced} closed with 1001.")]
    public static partial void Drained(ILogger logger, int ended, int forced);

    [LoggerMessage(1803, LogLevel.Warning, "Shutting down: {Trigger}; closing {Forced} remaining session(s) with 1001.")]
    public static partial void Forcing(ILogger logger, string trigger, int forced);

    [LoggerMessage(1804, LogLevel.Warning, "Shutting down: {Left} session(s) still closing after {Waited}; stopping the servers cuts them.")]
    public static partial void ClosingTooLong(ILogger logger, int left, string waited);

    [LoggerMessage(1805, LogLevel.Warning, "Stopped: both servers closed and the backend database flushed.")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(1811, LogLevel.Information, "Listener {Listener} serves certificate {Subject} (thumbprint {Thumbprint}, expires {NotAfter:O}).")]
    public static partial void CertificateLoaded(ILogger logger, string listener, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(1812, LogLevel.Warning, "Listener {Listener} keeps its certificate: the changed files cannot be loaded ({Reason}); they are read again when they change.")]
    public static partial void CertificateReloadFailed(ILogger logger, string listener, string reason);

    [LoggerMessage(1813, LogLevel.Error, "Listener {Listener}: checking the certificate files failed unexpectedly.")]
    public static partial void CertificateCheckFailed(ILogger logger, string listener, Exception exception);
}

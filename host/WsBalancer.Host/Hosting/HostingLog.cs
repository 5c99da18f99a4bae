using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Hosting;

// Event ids 1800-1899 belong to hosting (listeners and their certificates). Never renumber or reuse one.
internal static partial class HostingLog
{
    [LoggerMessage(1801, LogLevel.Information, "Listener {Listener} serves certificate {Subject} (thumbprint {Thumbprint}, expires {NotAfter:O}).")]
    public static partial void CertificateLoaded(ILogger logger, string listener, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(1802, LogLevel.Warning, "Listener {Listener} keeps its certificate: the changed files cannot be loaded ({Reason}); they are read again when they change.")]
    public static partial void CertificateReloadFailed(ILogger logger, string listener, string reason);

    [LoggerMessage(1803, LogLevel.Error, "Listener {Listener}: checking the certificate files failed unexpectedly.")]
    public static partial void CertificateCheckFailed(ILogger logger, string listener, Exception exception);
}

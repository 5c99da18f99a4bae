using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Admin;

// Event ids 1700-1799 belong to Admin. Never renumber or reuse one.
internal static partial class AdminLog
{
    // The presented credential is never logged, only that it was wrong or missing.
    [LoggerMessage(1701, LogLevel.Warning, "Admin request to {Path} from {RemoteAddress} refused: missing or wrong bearer token.")]
    public static partial void Unauthorized(ILogger logger, string path, string? remoteAddress);

    [LoggerMessage(1702, LogLevel.Warning, "The admin API listens on {Address} without a token (server.admin.allow-insecure is true).")]
    public static partial void InsecureAdmin(ILogger logger, string address);

    [LoggerMessage(1703, LogLevel.Warning, "Admin request {Method} {Path} from {RemoteAddress} refused: the read-only token may only GET.")]
    public static partial void ReadOnlyRefused(ILogger logger, string method, string path, string? remoteAddress);

    [LoggerMessage(1704, LogLevel.Warning, "Admin requests from {Address} are refused with 429: {Limit} wrong bearer tokens within {Window}.")]
    public static partial void AuthFailureLimitReached(ILogger logger, string address, int limit, string window);

    [LoggerMessage(1705, LogLevel.Warning, "Wrong admin tokens come from more than {Tracked} addresses within a window (server.admin.auth-failure-addresses): those from {Address} and other new addresses now share one count.")]
    public static partial void AuthFailureAddressesFull(ILogger logger, int tracked, string address);

    [LoggerMessage(1706, LogLevel.Debug, "Admin request to {Path} from {RemoteAddress} refused with 429: too many wrong bearer tokens.")]
    public static partial void AuthFailureRefused(ILogger logger, string path, string? remoteAddress);

    [LoggerMessage(1707, LogLevel.Error, "Admin request {Method} {Path} failed unexpectedly.")]
    public static partial void RequestFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(1708, LogLevel.Information, "Drain of backend {BackendId} now moves {Rate} session(s) per second.")]
    public static partial void DrainRateChanged(ILogger logger, string backendId, double rate);
}

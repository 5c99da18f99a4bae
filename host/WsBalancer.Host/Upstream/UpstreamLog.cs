using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Upstream;

// Event ids 1200-1299 belong to the built-in upstream (balancing, breaker, backend legs). Never renumber or reuse one.
internal static partial class UpstreamLog
{
    [LoggerMessage(1201, LogLevel.Debug, "Dialing backend {BackendId} at {BackendUrl}.")]
    public static partial void Dialing(ILogger logger, string backendId, Uri backendUrl);

    [LoggerMessage(1202, LogLevel.Warning, "Backend {BackendId} unavailable (status {StatusCode}): {Reason}")]
    public static partial void DialFailed(ILogger logger, string backendId, int statusCode, string reason);

    [LoggerMessage(1203, LogLevel.Information, "Backend {BackendId} declined the client with status {StatusCode}.")]
    public static partial void Declined(ILogger logger, string backendId, int statusCode);

    [LoggerMessage(1204, LogLevel.Warning, "Circuit breaker of backend {BackendId} opened after {Failures} consecutive failures.")]
    public static partial void BreakerOpened(ILogger logger, string backendId, int failures);

    [LoggerMessage(1205, LogLevel.Information, "Circuit breaker of backend {BackendId} closed.")]
    public static partial void BreakerClosed(ILogger logger, string backendId);

    [LoggerMessage(1206, LogLevel.Debug, "Backend connection {ConnectionId} of {BackendId} closed by the backend with {CloseCode} (abnormal: {Abnormal}).")]
    public static partial void BackendClosed(ILogger logger, string connectionId, string backendId, int closeCode, bool abnormal);

    [LoggerMessage(1207, LogLevel.Debug, "Backend connection {ConnectionId} of {BackendId} lost its transport: {Reason}")]
    public static partial void TransportLost(ILogger logger, string connectionId, string backendId, string reason);

    [LoggerMessage(1208, LogLevel.Debug, "Backend connection {ConnectionId} of {BackendId} failed to write: {Reason}")]
    public static partial void WriteFailed(ILogger logger, string connectionId, string backendId, string reason);

    [LoggerMessage(1209, LogLevel.Warning, "Backend connection {ConnectionId} of {BackendId} did not finish its close in time; aborted.")]
    public static partial void CloseTimedOut(ILogger logger, string connectionId, string backendId);

    [LoggerMessage(1210, LogLevel.Warning, "Backend connection {ConnectionId} of {BackendId} sent a message over {MaxBytes} bytes; closed with 1009.")]
    public static partial void MessageTooBig(ILogger logger, string connectionId, string backendId, int maxBytes);

    [LoggerMessage(1214, LogLevel.Error, "Backend connection {ConnectionId} of {BackendId} failed unexpectedly; the leg is dropped.")]
    public static partial void LoopFailed(ILogger logger, string connectionId, string backendId, Exception exception);

    [LoggerMessage(1211, LogLevel.Debug, "Header {HeaderName} could not be passed to backend {BackendId} and was left out.")]
    public static partial void HeaderSkipped(ILogger logger, string headerName, string backendId);

    [LoggerMessage(1212, LogLevel.Information, "Backend {BackendId} ({BackendUrl}) added.")]
    public static partial void BackendAdded(ILogger logger, string backendId, Uri backendUrl);

    [LoggerMessage(1213, LogLevel.Information, "Backend {BackendId} {Change}.")]
    public static partial void BackendChanged(ILogger logger, string backendId, string change);

    [LoggerMessage(1215, LogLevel.Information, "Backend {BackendId} drains: {Sessions} session(s) to move at {Rate} per second; it takes no new session.")]
    public static partial void DrainStarted(ILogger logger, string backendId, int sessions, double rate);

    [LoggerMessage(1216, LogLevel.Warning, "Drain of backend {BackendId} paused: the last {Failures} moves found no other backend; {Remaining} session(s) stay and a trial move follows a back-off.")]
    public static partial void DrainPaused(ILogger logger, string backendId, int failures, int remaining);

    [LoggerMessage(1217, LogLevel.Information, "Drain of backend {BackendId} resumed: a trial move succeeded; {Remaining} session(s) to go.")]
    public static partial void DrainResumed(ILogger logger, string backendId, int remaining);

    [LoggerMessage(1218, LogLevel.Information, "Backend {BackendId} drained: {Moved} session(s) moved in {Elapsed}; it takes no new session until undrained.")]
    public static partial void DrainCompleted(ILogger logger, string backendId, long moved, TimeSpan elapsed);

    [LoggerMessage(1219, LogLevel.Information, "Drain of backend {BackendId} stopped after {Moved} move(s); {Remaining} session(s) stay on it.")]
    public static partial void DrainStopped(ILogger logger, string backendId, long moved, int remaining);
}

using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Sessions;

// Event ids 1100-1199 belong to Sessions. Never renumber or reuse one: alerts key on them.
internal static partial class SessionsLog
{
    [LoggerMessage(1101, LogLevel.Debug, "Session {SessionId} started on backend {BackendId} for {RequestUri}.")]
    public static partial void Started(ILogger logger, string sessionId, string backendId, Uri requestUri);

    [LoggerMessage(1102, LogLevel.Debug, "Session {SessionId} ended: {Reason}.")]
    public static partial void Ended(ILogger logger, string sessionId, SessionEndReason reason);

    [LoggerMessage(1103, LogLevel.Error, "Session {SessionId} failed unexpectedly.")]
    public static partial void Failed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(1104, LogLevel.Information, "Session {SessionId} lost backend {BackendId}; re-dialing ({Trigger}).")]
    public static partial void FailoverStarted(ILogger logger, string sessionId, string backendId, string trigger);

    [LoggerMessage(1105, LogLevel.Information, "Session {SessionId} moved from backend {OldBackendId} to {BackendId}; {Replayed} unsent message(s) replayed.")]
    public static partial void FailoverCompleted(ILogger logger, string sessionId, string oldBackendId, string backendId, int replayed);

    [LoggerMessage(1106, LogLevel.Warning, "Session {SessionId} found no backend after losing {BackendId}; client closed with 1011: {Reason}")]
    public static partial void FailoverFailed(ILogger logger, string sessionId, string backendId, string reason);

    [LoggerMessage(1107, LogLevel.Warning, "Session {SessionId} overflowed its pending queue ({Messages} messages, {Bytes} bytes) while re-dialing; client closed with 1013.")]
    public static partial void PendingOverflow(ILogger logger, string sessionId, int messages, long bytes);

    [LoggerMessage(1108, LogLevel.Warning, "Session {SessionId}: client sent a message over {MaxBytes} bytes; closed with 1009.")]
    public static partial void ClientMessageTooBig(ILogger logger, string sessionId, int maxBytes);

    [LoggerMessage(1109, LogLevel.Warning, "Session {SessionId}: old backend {BackendId} did not finish within the drain timeout; its late replies were dropped.")]
    public static partial void DrainTimedOut(ILogger logger, string sessionId, string backendId);

    [LoggerMessage(1110, LogLevel.Warning, "Session {SessionId}: valve provider {Provider} failed; it adds no valves to this session.")]
    public static partial void ValveProviderFailed(ILogger logger, string sessionId, string provider, Exception exception);

    [LoggerMessage(1111, LogLevel.Warning, "Session {SessionId}: valve {Valve} threw; the message was dropped.")]
    public static partial void ValveFailed(ILogger logger, string sessionId, string valve, Exception exception);

    [LoggerMessage(1112, LogLevel.Debug, "Session {SessionId}: valve {Valve} dropped a message of {Bytes} bytes.")]
    public static partial void MessageDropped(ILogger logger, string sessionId, string valve, int bytes);

    [LoggerMessage(1113, LogLevel.Warning, "Session {SessionId}: session listener {Listener} threw.")]
    public static partial void ListenerFailed(ILogger logger, string sessionId, string listener, Exception exception);

    [LoggerMessage(1114, LogLevel.Warning, "Session {SessionId}: administrative failover from {BackendId} failed: {Reason}")]
    public static partial void AdminFailoverFailed(ILogger logger, string sessionId, string backendId, string reason);

    [LoggerMessage(1115, LogLevel.Warning, "Session {SessionId}: client did not take a message within the write timeout; dropped as too slow.")]
    public static partial void ClientTooSlow(ILogger logger, string sessionId);

    [LoggerMessage(1116, LogLevel.Debug, "Session {SessionId}: the client broke RFC 6455 ({Reason}); closed with {Code}.")]
    public static partial void ClientProtocolError(ILogger logger, string sessionId, string reason, int code);

    [LoggerMessage(1117, LogLevel.Warning, "Session {SessionId}: backend {BackendId} broke RFC 6455 ({Reason}).")]
    public static partial void BackendProtocolError(ILogger logger, string sessionId, string backendId, string reason);

    [LoggerMessage(1118, LogLevel.Warning, "Session {SessionId}: backend {BackendId} did not answer a keep-alive ping within {PingTime}; its leg is dropped.")]
    public static partial void BackendUnresponsive(ILogger logger, string sessionId, string backendId, TimeSpan pingTime);

    [LoggerMessage(1119, LogLevel.Warning, "Session {SessionId}: backend {BackendId} failed inside a message to the client; the client cannot be moved and is closed with 1011.")]
    public static partial void BackendFailedMidMessage(ILogger logger, string sessionId, string backendId);

    [LoggerMessage(1120, LogLevel.Information, "Session {SessionId} moved from backend {OldBackendId} to {BackendId}; client messages its socket had not taken go first.")]
    public static partial void RelayFailoverCompleted(ILogger logger, string sessionId, string oldBackendId, string backendId);

    [LoggerMessage(1121, LogLevel.Debug, "Session {SessionId}: nothing went either way for {IdleTimeout}; closed with 1000 (idle timeout).")]
    public static partial void IdleTimedOut(ILogger logger, string sessionId, TimeSpan idleTimeout);

    [LoggerMessage(1122, LogLevel.Warning, "Session {SessionId}: backend {BackendId} took nothing the client sent for {StallTimeout}; its leg is dropped and the client closed with 1013.")]
    public static partial void BackendStalled(ILogger logger, string sessionId, string backendId, TimeSpan stallTimeout);

    [LoggerMessage(1123, LogLevel.Debug, "Session {SessionId} moved off draining backend {OldBackendId} to {BackendId}.")]
    public static partial void DrainMoved(ILogger logger, string sessionId, string oldBackendId, string backendId);

    [LoggerMessage(1124, LogLevel.Debug, "Session {SessionId} stays on draining backend {BackendId} for now, to be tried again: {Reason}")]
    public static partial void DrainMoveFailed(ILogger logger, string sessionId, string backendId, string reason);

    [LoggerMessage(1130, LogLevel.Warning, "Buffer budget reached: sessions hold {UsedBytes} of {BudgetBytes} bytes (server.buffer-budget) across {Holders} sessions; the largest holders are back-pressured ({Waits} waits so far).")]
    public static partial void BufferBudgetReached(ILogger logger, long usedBytes, long budgetBytes, int holders, long waits);

    [LoggerMessage(1125, LogLevel.Information, "Session {SessionId}: backend {BackendId} was deleted while the session dialed it; the session is moved off it.")]
    public static partial void LegOnDeletedBackend(ILogger logger, string sessionId, string backendId);

    [LoggerMessage(1126, LogLevel.Debug, "Session {SessionId}: the {Direction} pump on backend {BackendId} ended: {End} ({MessagesDelivered} message(s) delivered).")]
    public static partial void PumpEnded(ILogger logger, string sessionId, string direction, string backendId, WebSockets.RelayEnd end, long messagesDelivered);
}

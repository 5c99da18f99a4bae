using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Frontend;

// Event ids 1000-1099 belong to the Frontend. Never renumber or reuse one.
internal static partial class FrontendLog
{
    [LoggerMessage(1001, LogLevel.Debug, "Refused a plain HTTP request to {Path} on the frontend.")]
    public static partial void NotWebSocket(ILogger logger, string path);

    [LoggerMessage(1002, LogLevel.Debug, "Refused a session: the frontend is paused.")]
    public static partial void Paused(ILogger logger);

    [LoggerMessage(1003, LogLevel.Information, "Backend {BackendId} declined a client with {StatusCode}.")]
    public static partial void Declined(ILogger logger, string backendId, int statusCode);

    [LoggerMessage(1004, LogLevel.Warning, "No backend for a new session to {Path}: {Reason}")]
    public static partial void NoBackend(ILogger logger, string path, string reason);

    [LoggerMessage(1005, LogLevel.Error, "The dialer failed with an unexpected error.")]
    public static partial void DialerFailed(ILogger logger, Exception exception);

    [LoggerMessage(1006, LogLevel.Debug, "The client's upgrade for session {SessionId} did not complete: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(1007, LogLevel.Information, "Frontend {FrontendId} {Change}.")]
    public static partial void Switched(ILogger logger, string frontendId, string change);

    [LoggerMessage(1008, LogLevel.Warning, "Pass-header {HeaderName} from backend {BackendId} was not sent to the client: it is not a valid response header value.")]
    public static partial void PassHeaderSkipped(ILogger logger, string headerName, string backendId);

    [LoggerMessage(1009, LogLevel.Information, "Refused a session from {RemoteAddress}: {Refusal} (limit {Limit}).")]
    public static partial void SessionRefused(ILogger logger, string remoteAddress, SessionRefusal refusal, int limit);

    [LoggerMessage(1010, LogLevel.Debug, "Refused a session: the balancer is shutting down.")]
    public static partial void ShuttingDown(ILogger logger);

    [LoggerMessage(1011, LogLevel.Debug, "Refused a malformed WebSocket handshake to {Path}: {Reason}")]
    public static partial void BadHandshake(ILogger logger, string path, string reason);
}

using Microsoft.Extensions.Logging;

namespace WsBalancer.Plugins.HttpBridge;

// Event ids 5100-5199 belong to the HttpBridge plugin. Never renumber or reuse one: alerts key on them.
// No message names a URL's path or query (they may carry a client's token), and none carries a payload.
internal static partial class HttpBridgeLog
{
    [LoggerMessage(5101, LogLevel.Debug, "Dialing HTTP backend {BackendId}.")]
    public static partial void Dialing(ILogger logger, string backendId);

    [LoggerMessage(5102, LogLevel.Warning, "HTTP backend {BackendId} unavailable at dial (status {StatusCode}): {Reason} ({Suppressed} similar warnings suppressed).")]
    public static partial void DialFailed(ILogger logger, string backendId, int statusCode, string reason, int suppressed);

    [LoggerMessage(5103, LogLevel.Debug, "HTTP backend {BackendId} declined the client with status {StatusCode}.")]
    public static partial void Declined(ILogger logger, string backendId, int statusCode);

    [LoggerMessage(5104, LogLevel.Debug, "Header {HeaderName} cannot go in an HTTP request to {BackendId} and was left out.")]
    public static partial void HeaderSkipped(ILogger logger, string headerName, string backendId);

    [LoggerMessage(5105, LogLevel.Debug, "Bridge connection {ConnectionId} to {BackendId} opened.")]
    public static partial void Connected(ILogger logger, string connectionId, string backendId);

    [LoggerMessage(5106, LogLevel.Warning, "Bridge connection {ConnectionId}: a request to {BackendId} failed (status {StatusCode}): {Reason}; {Unsent} message(s) kept for the next connection ({Suppressed} similar warnings suppressed).")]
    public static partial void RequestFailed(ILogger logger, string connectionId, string backendId, int statusCode, string reason, int unsent, int suppressed);

    [LoggerMessage(5107, LogLevel.Warning, "Bridge connection {ConnectionId}: a response of {BackendId} (status {StatusCode}) is over {MaxBytes} bytes and was not read; {Unsent} message(s) kept for the next connection ({Suppressed} similar warnings suppressed).")]
    public static partial void ResponseTooBig(ILogger logger, string connectionId, string backendId, int statusCode, int maxBytes, int unsent, int suppressed);

    [LoggerMessage(5108, LogLevel.Debug, "Bridge connection {ConnectionId}: {BackendId} answered a message of {MessageBytes} bytes with {StatusCode} and {ReplyBytes} bytes.")]
    public static partial void Answered(ILogger logger, string connectionId, string backendId, int messageBytes, int statusCode, int replyBytes);

    [LoggerMessage(5109, LogLevel.Debug, "Bridge connection {ConnectionId}: {BackendId} rejected a message with {StatusCode}; the session is closed with 1008.")]
    public static partial void ClosingOnRejection(ILogger logger, string connectionId, string backendId, int statusCode);

    [LoggerMessage(5110, LogLevel.Debug, "Bridge connection {ConnectionId} to {BackendId} stopped: {Closure}.")]
    public static partial void Stopped(ILogger logger, string connectionId, string backendId, string closure);

    [LoggerMessage(5111, LogLevel.Error, "Bridge connection {ConnectionId} to {BackendId} failed unexpectedly; the leg is dropped.")]
    public static partial void LoopFailed(ILogger logger, string connectionId, string backendId, Exception exception);

    [LoggerMessage(5112, LogLevel.Debug, "Bridge connection {ConnectionId}: a text reply of {BackendId} is not valid UTF-8 and goes to the client as binary.")]
    public static partial void TextNotUtf8(ILogger logger, string connectionId, string backendId);

    [LoggerMessage(5113, LogLevel.Debug, "Bridge connection {ConnectionId}: the session stopped listening; {Outstanding} outstanding request(s) cancelled.")]
    public static partial void SessionGone(ILogger logger, string connectionId, int outstanding);
}

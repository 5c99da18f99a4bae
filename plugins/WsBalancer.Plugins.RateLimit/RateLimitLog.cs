using Microsoft.Extensions.Logging;

namespace WsBalancer.Plugins.RateLimit;

// Event ids 3100-3199 belong to the RateLimit plugin. Never renumber or reuse one: alerts key on them.
internal static partial class RateLimitLog
{
    [LoggerMessage(3101, LogLevel.Information, "Rate limit: {MessagesPerSecond}/s (burst {Burst}) per session, {AddressMessagesPerSecond}/s (burst {AddressBurst}) per address (0 = off), at most {MaxMessageBytes} bytes a message (0 = off), direction {Direction}, on excess {OnExcess}.")]
    public static partial void Configured(ILogger logger, double messagesPerSecond, int burst, double addressMessagesPerSecond, int addressBurst, long maxMessageBytes, string direction, string onExcess);

    [LoggerMessage(3102, LogLevel.Debug, "Session {SessionId}: a {Size}-byte message over the {Limit} limit was dropped.")]
    public static partial void Dropped(ILogger logger, string sessionId, string limit, int size);

    [LoggerMessage(3103, LogLevel.Debug, "Session {SessionId}: closed with 1008 for going over the {Limit} limit.")]
    public static partial void Closing(ILogger logger, string sessionId, string limit);

    [LoggerMessage(3104, LogLevel.Warning, "Rate limit tracks at most {MaxAddresses} addresses and none is idle: {Sessions} sessions of new addresses since the last report share one address limit.")]
    public static partial void AddressesFull(ILogger logger, int maxAddresses, long sessions);

    [LoggerMessage(3105, LogLevel.Debug, "Rate limit forgot {Count} idle addresses to make room.")]
    public static partial void AddressesSwept(ILogger logger, int count);
}

using WsBalancer.Sdk;

namespace WsBalancer.Plugins.HttpBridge;

internal enum ExchangeStatus
{
    /// <summary>2xx: <see cref="ExchangeOutcome.Reply"/> holds the body, or is null when it was empty.</summary>
    Answered,

    /// <summary>3xx/4xx: the backend refused this message; <see cref="ExchangeOutcome.Reply"/> as for <see cref="Answered"/>.</summary>
    Rejected,

    /// <summary>5xx, network error, timeout or cancellation: the message may not have been processed.</summary>
    Failed,

    /// <summary>The response body is over <c>max-response-bytes</c> and was not read.</summary>
    TooBig,
}

/// <summary>How one message's POST ended. Never an exception: every failure of the exchange is a value here.</summary>
internal readonly record struct ExchangeOutcome(ExchangeStatus Status, int StatusCode, WsMessage? Reply, string? Reason)
{
    /// <summary>True when a text response could not be sent as text and <see cref="Reply"/> is binary instead.</summary>
    public bool NotUtf8 { get; init; }
}

namespace WsBalancer.Host.Metrics;

/// <summary>The values of the <c>reason</c> label of <c>wsbalancer_dial_failures_total</c>.</summary>
internal static class DialFailureReason
{
    /// <summary>Network error or 5xx: the next backend is tried.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The backend answered 3xx/4xx and refused the client.</summary>
    public const string Declined = "declined";

    /// <summary>The handshake took longer than the backend's handshake timeout.</summary>
    public const string Timeout = "timeout";

    /// <summary>The backend was skipped because its breaker refused the dial.</summary>
    public const string CircuitOpen = "circuit_open";

    /// <summary>Returns the reason unchanged when it is one of the constants above.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Any other value: a free-form reason would grow series without bound.</exception>
    public static string Validate(string reason) => reason switch
    {
        Unavailable or Declined or Timeout or CircuitOpen => reason,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Use a DialFailureReason constant."),
    };
}

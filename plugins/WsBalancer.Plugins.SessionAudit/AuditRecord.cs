using System.Text.Json.Serialization;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>What happened to a session: the values of <see cref="AuditRecord.Kind"/>.</summary>
internal static class AuditKind
{
    /// <summary>The session's first pair was joined.</summary>
    public const string Start = "start";

    /// <summary>The session moved to another backend leg.</summary>
    public const string Failover = "failover";

    /// <summary>The session ended.</summary>
    public const string End = "end";
}

/// <summary>One audit record, as stored and as exported.</summary>
/// <remarks>Fields that the host's frontend connection did not offer (no <c>ISessionDetails</c>) are null.</remarks>
internal sealed record AuditRecord
{
    /// <summary>The store's id, increasing in write order; 0 until written.</summary>
    public long Id { get; init; }

    /// <summary>The session id (the frontend connection's id).</summary>
    public required string SessionId { get; init; }

    /// <summary>One of <see cref="AuditKind"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>When the listener saw it, UTC, millisecond precision (the store's precision).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The path the client upgraded on, with its query only when <c>include-query</c> is on.</summary>
    public string? Uri { get; init; }

    public string? FrontendId { get; init; }

    public string? RemoteAddress { get; init; }

    /// <summary>The backend of the pair: the new one for a failover, the last one for an end.</summary>
    public string? BackendId { get; init; }

    /// <summary>For a failover, the backend the session left (null when the session's earlier state was forgotten).</summary>
    public string? PreviousBackendId { get; init; }

    /// <summary>For an end: how long the session lasted.</summary>
    [JsonIgnore]
    public TimeSpan? Duration { get; init; }

    /// <summary>For an end: <see cref="Duration"/> in milliseconds, as exported.</summary>
    [JsonPropertyName("durationMs")]
    public double? DurationMilliseconds => Duration?.TotalMilliseconds;

    public long? MessagesReceived { get; init; }

    public long? MessagesSent { get; init; }

    public int? Reconnects { get; init; }

    public string? EndReason { get; init; }
}

namespace WsBalancer.Host.Storage;

/// <summary>
/// One document of the <c>backends</c> collection in wsbalancer.db: a backend's settings plus the state the admin API
/// changes. Its BSON field names are fixed by <see cref="BackendDefinitionMapper"/>.
/// </summary>
internal sealed record BackendDefinition
{
    /// <summary>The backend id; the document's <c>_id</c>, compared ordinally.</summary>
    public required string Id { get; init; }

    /// <summary>The URL exactly as configured or posted (<see cref="Uri.OriginalString"/>).</summary>
    public required string Url { get; init; }

    public required TimeSpan PingTime { get; init; }

    public required TimeSpan HandshakeTimeout { get; init; }

    public required int BreakerThreshold { get; init; }

    public required IReadOnlyList<string> PassHeaders { get; init; }

    public required IReadOnlyList<int> AbnormalCloseCodes { get; init; }

    public required int ReadBufferSize { get; init; }

    public required int WriteBufferSize { get; init; }

    public required bool Enabled { get; init; }

    public required BackendOrigin Origin { get; init; }

    /// <summary>
    /// A config-origin backend deleted through the admin API. The tombstone keeps it deleted while the configuration
    /// still names it and is dropped once the configuration stops naming it.
    /// </summary>
    public required bool Deleted { get; init; }

    /// <summary>Insertion sequence: the registry lists backends in this order.</summary>
    public required long Order { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>True when every setting field (not the state) equals <paramref name="other"/>'s.</summary>
    public bool HasSameSettings(BackendDefinition other) =>
        string.Equals(Url, other.Url, StringComparison.Ordinal)
        && PingTime == other.PingTime
        && HandshakeTimeout == other.HandshakeTimeout
        && BreakerThreshold == other.BreakerThreshold
        && PassHeaders.SequenceEqual(other.PassHeaders, StringComparer.Ordinal)
        && AbnormalCloseCodes.SequenceEqual(other.AbnormalCloseCodes)
        && ReadBufferSize == other.ReadBufferSize
        && WriteBufferSize == other.WriteBufferSize;
}

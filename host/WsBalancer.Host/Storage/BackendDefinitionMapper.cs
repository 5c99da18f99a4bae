using LiteDB;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Storage;

/// <summary>
/// Converts between <see cref="BackendSettings"/>, <see cref="BackendDefinition"/> and its BSON document. The mapping is
/// written out by hand rather than left to a reflection <see cref="BsonMapper"/>, so that renaming a C# property can
/// never silently change the stored schema.
/// </summary>
/// <remarks>
/// The document: <c>_id</c> (string), <c>url</c> (string), <c>ping-time-ticks</c> and <c>handshake-timeout-ticks</c>
/// (Int64, 100 ns ticks, so sub-millisecond Go durations round-trip exactly), <c>breaker-threshold</c>,
/// <c>read-buffer-size</c>, <c>write-buffer-size</c> (Int32), <c>pass-headers</c> (array of strings),
/// <c>abnormal-close-codes</c> (array of Int32), <c>enabled</c>, <c>deleted</c> (bool), <c>origin</c> (<c>Config</c> or
/// <c>Api</c>), <c>order</c> (Int64), <c>updated-at</c> (UTC date, millisecond precision). Fields may be added; none may be
/// renamed or change type.
/// </remarks>
internal static class BackendDefinitionMapper
{
    public const string Url = "url";
    public const string PingTimeTicks = "ping-time-ticks";
    public const string HandshakeTimeoutTicks = "handshake-timeout-ticks";
    public const string BreakerThreshold = "breaker-threshold";
    public const string PassHeaders = "pass-headers";
    public const string AbnormalCloseCodes = "abnormal-close-codes";
    public const string ReadBufferSize = "read-buffer-size";
    public const string WriteBufferSize = "write-buffer-size";
    public const string Enabled = "enabled";
    public const string Origin = "origin";
    public const string Deleted = "deleted";
    public const string Order = "order";
    public const string UpdatedAt = "updated-at";

    public static BackendDefinition FromSettings(BackendSettings settings, bool enabled, BackendOrigin origin, long order, DateTimeOffset updatedAt) => new()
    {
        Id = settings.Id,
        Url = settings.Url.OriginalString,
        PingTime = settings.PingTime,
        HandshakeTimeout = settings.HandshakeTimeout,
        BreakerThreshold = settings.BreakerThreshold,
        PassHeaders = [.. settings.PassHeaders],
        AbnormalCloseCodes = [.. settings.AbnormalCloseCodes],
        ReadBufferSize = settings.ReadBufferSize,
        WriteBufferSize = settings.WriteBufferSize,
        Enabled = enabled,
        Origin = origin,
        Deleted = false,
        Order = order,
        UpdatedAt = updatedAt,
    };

    public static BackendSettings ToSettings(BackendDefinition definition) => new()
    {
        Id = definition.Id,
        Url = new Uri(definition.Url, UriKind.Absolute),
        PingTime = definition.PingTime,
        HandshakeTimeout = definition.HandshakeTimeout,
        BreakerThreshold = definition.BreakerThreshold,
        PassHeaders = definition.PassHeaders,
        AbnormalCloseCodes = definition.AbnormalCloseCodes,
        ReadBufferSize = definition.ReadBufferSize,
        WriteBufferSize = definition.WriteBufferSize,
    };

    public static BackendRecord ToRecord(BackendDefinition definition) =>
        new(ToSettings(definition), definition.Enabled, definition.Origin) { UpdatedAt = definition.UpdatedAt };

    public static BsonDocument ToDocument(BackendDefinition definition) => new()
    {
        ["_id"] = definition.Id,
        [Url] = definition.Url,
        [PingTimeTicks] = definition.PingTime.Ticks,
        [HandshakeTimeoutTicks] = definition.HandshakeTimeout.Ticks,
        [BreakerThreshold] = definition.BreakerThreshold,
        [PassHeaders] = new BsonArray(definition.PassHeaders.Select(header => new BsonValue(header))),
        [AbnormalCloseCodes] = new BsonArray(definition.AbnormalCloseCodes.Select(code => new BsonValue(code))),
        [ReadBufferSize] = definition.ReadBufferSize,
        [WriteBufferSize] = definition.WriteBufferSize,
        [Enabled] = definition.Enabled,
        [Origin] = definition.Origin.ToString(),
        [Deleted] = definition.Deleted,
        [Order] = definition.Order,
        [UpdatedAt] = definition.UpdatedAt.UtcDateTime,
    };

    /// <exception cref="FormatException">A field is missing or has the wrong type; the message names the document and field.</exception>
    public static BackendDefinition FromDocument(BsonDocument document)
    {
        var id = document["_id"] is { IsString: true } idValue ? idValue.AsString : throw new FormatException("a backend document has no string _id");
        var originText = String(document, id, Origin);
        return new BackendDefinition
        {
            Id = id,
            Url = String(document, id, Url) is var url && Uri.TryCreate(url, UriKind.Absolute, out _) ? url : throw Invalid(id, Url, "an absolute URL"),
            PingTime = TimeSpan.FromTicks(Int64(document, id, PingTimeTicks)),
            HandshakeTimeout = TimeSpan.FromTicks(Int64(document, id, HandshakeTimeoutTicks)),
            BreakerThreshold = Int32(document, id, BreakerThreshold),
            PassHeaders = [.. Array(document, id, PassHeaders).Select(item => item.IsString ? item.AsString : throw Invalid(id, PassHeaders, "strings"))],
            AbnormalCloseCodes = [.. Array(document, id, AbnormalCloseCodes).Select(item => item.IsInt32 ? item.AsInt32 : throw Invalid(id, AbnormalCloseCodes, "integers"))],
            ReadBufferSize = Int32(document, id, ReadBufferSize),
            WriteBufferSize = Int32(document, id, WriteBufferSize),
            Enabled = Boolean(document, id, Enabled),
            Origin = Enum.GetNames<BackendOrigin>().Contains(originText, StringComparer.Ordinal)
                ? Enum.Parse<BackendOrigin>(originText)
                : throw Invalid(id, Origin, $"one of {string.Join(", ", Enum.GetNames<BackendOrigin>())}"),
            Deleted = Boolean(document, id, Deleted),
            Order = Int64(document, id, Order),

            // LiteDB hands dates back in local time; the instant is what was stored.
            UpdatedAt = document[UpdatedAt] is { IsDateTime: true } date
                ? new DateTimeOffset(date.AsDateTime.ToUniversalTime(), TimeSpan.Zero)
                : throw Invalid(id, UpdatedAt, "a date"),
        };
    }

    private static string String(BsonDocument document, string id, string field) =>
        document[field] is { IsString: true } value ? value.AsString : throw Invalid(id, field, "a string");

    private static int Int32(BsonDocument document, string id, string field) =>
        document[field] is { IsInt32: true } value ? value.AsInt32 : throw Invalid(id, field, "a 32-bit integer");

    private static long Int64(BsonDocument document, string id, string field) => document[field] switch
    {
        { IsInt64: true } value => value.AsInt64,
        { IsInt32: true } value => value.AsInt32,
        _ => throw Invalid(id, field, "a 64-bit integer"),
    };

    private static bool Boolean(BsonDocument document, string id, string field) =>
        document[field] is { IsBoolean: true } value ? value.AsBoolean : throw Invalid(id, field, "a boolean");

    private static BsonArray Array(BsonDocument document, string id, string field) =>
        document[field] is { IsArray: true } value ? value.AsArray : throw Invalid(id, field, "an array");

    private static FormatException Invalid(string id, string field, string expected) =>
        new($"backend '{id}': field '{field}' is missing or not {expected}");
}

using LiteDB;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>
/// Converts an <see cref="AuditRecord"/> to and from its BSON document, written out by hand: a reflection
/// <see cref="BsonMapper"/> would cache this plugin's types in LiteDB's statics, and renaming a property could
/// silently change the stored schema.
/// </summary>
/// <remarks>
/// The document: <c>_id</c> (Int64, assigned by the store), <c>sessionId</c>, <c>kind</c> (strings), <c>at</c> (UTC date,
/// millisecond precision), <c>uri</c>, <c>frontendId</c>, <c>remoteAddress</c>, <c>backendId</c>,
/// <c>previousBackendId</c>, <c>endReason</c> (strings), <c>durationTicks</c>, <c>messagesReceived</c>,
/// <c>messagesSent</c> (Int64), <c>reconnects</c> (Int32). A field whose value is unknown is absent. Fields may be
/// added; none may be renamed or change type. The names are the export's camelCase ones: a hyphen would have to be
/// quoted in every LiteDB expression (<c>$.['session-id']</c>) that an operator writes against the file.
/// </remarks>
internal static class AuditRecordMapper
{
    public const string SessionId = "sessionId";
    public const string Kind = "kind";
    public const string At = "at";
    public const string Uri = "uri";
    public const string FrontendId = "frontendId";
    public const string RemoteAddress = "remoteAddress";
    public const string BackendId = "backendId";
    public const string PreviousBackendId = "previousBackendId";
    public const string DurationTicks = "durationTicks";
    public const string MessagesReceived = "messagesReceived";
    public const string MessagesSent = "messagesSent";
    public const string Reconnects = "reconnects";
    public const string EndReason = "endReason";

    public static BsonDocument ToDocument(AuditRecord record)
    {
        var document = new BsonDocument
        {
            [SessionId] = record.SessionId,
            [Kind] = record.Kind,
            [At] = record.At.UtcDateTime,
        };
        AddIfKnown(document, Uri, record.Uri);
        AddIfKnown(document, FrontendId, record.FrontendId);
        AddIfKnown(document, RemoteAddress, record.RemoteAddress);
        AddIfKnown(document, BackendId, record.BackendId);
        AddIfKnown(document, PreviousBackendId, record.PreviousBackendId);
        AddIfKnown(document, EndReason, record.EndReason);
        AddIfKnown(document, DurationTicks, record.Duration?.Ticks);
        AddIfKnown(document, MessagesReceived, record.MessagesReceived);
        AddIfKnown(document, MessagesSent, record.MessagesSent);
        if (record.Reconnects is { } reconnects)
        {
            document[Reconnects] = reconnects;
        }

        return document;
    }

    public static AuditRecord FromDocument(BsonDocument document) => new()
    {
        Id = document["_id"].AsInt64,
        SessionId = document[SessionId].AsString,
        Kind = document[Kind].AsString,

        // LiteDB hands dates back in local time; the instant is what was stored.
        At = new DateTimeOffset(document[At].AsDateTime.ToUniversalTime(), TimeSpan.Zero),
        Uri = StringOrNull(document, Uri),
        FrontendId = StringOrNull(document, FrontendId),
        RemoteAddress = StringOrNull(document, RemoteAddress),
        BackendId = StringOrNull(document, BackendId),
        PreviousBackendId = StringOrNull(document, PreviousBackendId),
        EndReason = StringOrNull(document, EndReason),
        Duration = document.TryGetValue(DurationTicks, out var ticks) ? TimeSpan.FromTicks(ticks.AsInt64) : null,
        MessagesReceived = document.TryGetValue(MessagesReceived, out var received) ? received.AsInt64 : null,
        MessagesSent = document.TryGetValue(MessagesSent, out var sent) ? sent.AsInt64 : null,
        Reconnects = document.TryGetValue(Reconnects, out var reconnects) ? reconnects.AsInt32 : null,
    };

    private static void AddIfKnown(BsonDocument document, string field, string? value)
    {
        if (value is not null)
        {
            document[field] = value;
        }
    }

    private static void AddIfKnown(BsonDocument document, string field, long? value)
    {
        if (value is { } known)
        {
            document[field] = known;
        }
    }

    private static string? StringOrNull(BsonDocument document, string field) =>
        document.TryGetValue(field, out var value) && value.IsString ? value.AsString : null;
}

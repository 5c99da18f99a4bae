using LiteDB;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>The audit records in <c>audit.db</c>. Written only by the <see cref="AuditWriter"/>; its API is synchronous.</summary>
internal sealed class AuditStore : IDisposable
{
    public const string FileName = "audit.db";
    private const string CollectionName = "records";

    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _records;
    private long _count;

    private AuditStore(LiteDatabase database)
    {
        _database = database;
        _records = database.GetCollection(CollectionName, BsonAutoId.Int64);
        _records.EnsureIndex(AuditRecordMapper.At);
        _records.EnsureIndex(AuditRecordMapper.SessionId);
        _count = _records.LongCount();
    }

    /// <summary>Records stored now.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <exception cref="InvalidOperationException">The file cannot be opened or is not a LiteDB database; the message names it.</exception>
    public static AuditStore Open(string path)
    {
        LiteDatabase? database = null;
        try
        {
            database = new LiteDatabase(new ConnectionString
            {
                Filename = path,

                // Direct: the file is this instance's alone for its lifetime, with no named mutex involved.
                Connection = ConnectionType.Direct,

                // An audit trail is evidence: a damaged file is the operator's to inspect, not LiteDB's to rebuild.
                AutoRebuild = false,
            });
            return new AuditStore(database);
        }
        catch (Exception ex)
        {
            // A damaged or foreign file surfaces as almost any exception type from LiteDB's page readers.
            database?.Dispose();
            throw new InvalidOperationException($"audit database '{path}' cannot be opened: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <paramref name="records"/> in one transaction.</summary>
    /// <returns>The records with the ids they were stored under, in the same order.</returns>
    public List<AuditRecord> Insert(IReadOnlyList<AuditRecord> records)
    {
        var documents = new List<BsonDocument>(records.Count);
        foreach (var record in records)
        {
            documents.Add(AuditRecordMapper.ToDocument(record));
        }

        // The IEnumerable overload is one auto-transaction: a batch is written whole or not at all.
        _records.Insert(documents);
        Interlocked.Add(ref _count, documents.Count);

        var stored = new List<AuditRecord>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            stored.Add(records[i] with { Id = documents[i]["_id"].AsInt64 });
        }

        return stored;
    }

    /// <summary>Deletes the records older than <paramref name="cutoff"/>, then the oldest beyond <paramref name="maxRecords"/>.</summary>
    /// <returns>How many were deleted for each reason.</returns>
    public (int ByAge, int ByCount) Trim(DateTimeOffset cutoff, long maxRecords)
    {
        var byAge = _records.DeleteMany(Query.LT(AuditRecordMapper.At, cutoff.UtcDateTime));
        Interlocked.Add(ref _count, -byAge);

        var byCount = 0;
        var excess = Count - maxRecords;
        if (excess > 0)
        {
            // Ids increase in write order, so the oldest records are the lowest ids: find the last one to go.
            var lastToDelete = _records.Query().OrderBy("_id").Select("_id").Skip((int)Math.Min(excess - 1, int.MaxValue)).Limit(1).ToDocuments().FirstOrDefault();
            if (lastToDelete is not null)
            {
                byCount = _records.DeleteMany(Query.LTE("_id", lastToDelete["_id"]));
                Interlocked.Add(ref _count, -byCount);
            }
        }

        return (byAge, byCount);
    }

    /// <summary>The stored records, oldest first: all of them, or those of one session.</summary>
    public IReadOnlyList<AuditRecord> Find(string? sessionId, int limit)
    {
        var documents = sessionId is null
            ? _records.Find(Query.All("_id", Query.Ascending), limit: limit)
            : _records.Find(Query.EQ(AuditRecordMapper.SessionId, sessionId));
        var records = new List<AuditRecord>();
        foreach (var document in documents)
        {
            records.Add(AuditRecordMapper.FromDocument(document));
        }

        if (sessionId is not null)
        {
            records.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            if (records.Count > limit)
            {
                records.RemoveRange(limit, records.Count - limit);
            }
        }

        return records;
    }

    public void Dispose() => _database.Dispose();
}

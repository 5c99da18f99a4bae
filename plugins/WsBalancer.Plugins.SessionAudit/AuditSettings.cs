namespace WsBalancer.Plugins.SessionAudit;

/// <summary>The plugin's settings, read once when the listener is created.</summary>
internal sealed record AuditSettings
{
    /// <summary>Records waiting for the writer; beyond it a record is dropped and counted. Default 10 000.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Sessions whose start is remembered (to tell a failover from a start); the least recently active is forgotten beyond it. Default 100 000.</summary>
    public int MaxTrackedSessions { get; init; } = 100_000;

    /// <summary>Records (and export files) older than this are deleted. Default 30 days.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The oldest records beyond this count are deleted. Default 1 000 000.</summary>
    public long MaxRecords { get; init; } = 1_000_000;

    /// <summary>Also append every record as a JSON line to <c>export/audit-YYYY-MM-DD.jsonl</c>. Default false.</summary>
    public bool Export { get; init; }

    /// <summary>Keep the query string of the request URI; off by default because query strings often carry tokens. Default false.</summary>
    public bool IncludeQuery { get; init; }

    /// <exception cref="ArgumentException">A setting is malformed, out of range or unknown; the message names it.</exception>
    public static AuditSettings Read(string pluginName, IReadOnlyDictionary<string, string> values)
    {
        var reader = new SettingsReader(pluginName, values);
        var defaults = new AuditSettings();
        var settings = new AuditSettings
        {
            QueueCapacity = reader.Int32("queue-capacity", defaults.QueueCapacity, 1, 10_000_000),
            MaxTrackedSessions = reader.Int32("max-tracked-sessions", defaults.MaxTrackedSessions, 1, 10_000_000),
            MaxAge = reader.Duration("max-age", defaults.MaxAge, TimeSpan.FromMinutes(1)),
            MaxRecords = reader.Int64("max-records", defaults.MaxRecords, 1, 1_000_000_000),
            Export = reader.Boolean("export", defaults.Export),
            IncludeQuery = reader.Boolean("include-query", defaults.IncludeQuery),
        };
        reader.RejectUnknown();
        return settings;
    }
}

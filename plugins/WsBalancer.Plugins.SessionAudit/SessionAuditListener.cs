using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>
/// Records every session's start, failovers and end in <c>audit.db</c> (LiteDB) in the plugin's data directory, and
/// optionally as JSON lines for log shippers. Listener calls only queue a record; one background task writes.
/// </summary>
/// <remarks>
/// A failover is reported by the host as a Terminated whose <see cref="ISessionDetails.EndReason"/> is null, then a
/// Created for the new backend; the last Terminated of a session has a reason. Without <see cref="ISessionDetails"/>
/// on the frontend connection the two cannot be told apart, so no end is recorded and the detail fields stay empty.
/// </remarks>
public sealed class SessionAuditListener : ISessionListener, IDisposable
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private readonly AuditSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AuditStore _store;
    private readonly AuditWriter _writer;
    private readonly SessionTracker _sessions;
    private readonly LogThrottle _evictionReports;
    private long _evicted;
    private int _disposed;

    /// <summary>Opens (or creates) the audit database and starts the writer.</summary>
    /// <param name="context">The plugin's settings, logger and data directory.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    /// <exception cref="InvalidOperationException">The database cannot be opened.</exception>
    public SessionAuditListener(IPluginContext context)
        : this(context, TimeProvider.System, beforeBatch: null, completeTimeout: null)
    {
    }

    /// <param name="context">The plugin's settings, logger and data directory.</param>
    /// <param name="time">The clock for record times, retention and log rate limits.</param>
    /// <param name="beforeBatch">Awaited by the writer before each batch: lets a test hold it back.</param>
    /// <param name="completeTimeout">How long <see cref="Dispose"/> lets the writer drain; null for 5 s.</param>
    internal SessionAuditListener(IPluginContext context, TimeProvider time, Func<CancellationToken, ValueTask>? beforeBatch, TimeSpan? completeTimeout)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(time);
        _settings = AuditSettings.Read(context.PluginName, context.Settings);
        _time = time;
        _logger = context.Logger;
        _sessions = new SessionTracker(_settings.MaxTrackedSessions);
        _evictionReports = new LogThrottle(time, WarningInterval);

        var path = Path.Combine(context.DataDirectory, AuditStore.FileName);
        _store = AuditStore.Open(path);
        try
        {
            var export = _settings.Export ? new AuditExport(Path.Combine(context.DataDirectory, AuditExport.FolderName)) : null;
            _writer = new AuditWriter(_store, export, _settings, time, _logger, beforeBatch, completeTimeout ?? AuditWriter.DefaultCompleteTimeout);
        }
        catch
        {
            _store.Dispose();
            throw;
        }

        SessionAuditLog.Opened(_logger, path, _store.Count, DurationText.Format(_settings.MaxAge), _settings.MaxRecords);
    }

    /// <summary>Records dropped because the queue was full.</summary>
    internal long DroppedRecords => _writer.Dropped;

    /// <summary>Sessions forgotten because more than <c>max-tracked-sessions</c> were tracked.</summary>
    internal long EvictedSessions => Interlocked.Read(ref _evicted);

    /// <summary>Sessions tracked now.</summary>
    internal int TrackedSessions => _sessions.Count;

    /// <summary>Records stored now.</summary>
    internal long StoredRecords => _store.Count;

    /// <inheritdoc/>
    public void SessionCreated(ProxySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var frontend = session.Frontend;
        var details = frontend as ISessionDetails;
        var (kind, previousBackendId) = _sessions.Joined(frontend.Id, session.Backend.BackendId, details is { Reconnects: > 0 }, out var evicted);
        CountEviction(evicted);
        _writer.Enqueue(NewRecord(session, kind) with { PreviousBackendId = previousBackendId });
    }

    /// <inheritdoc/>
    public void SessionTerminated(ProxySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var frontend = session.Frontend;
        if (frontend is not ISessionDetails { EndReason: { } endReason } details)
        {
            CountEviction(_sessions.Left(frontend.Id, session.Backend.BackendId));
            return;
        }

        _sessions.Ended(frontend.Id);
        var now = Now();
        _writer.Enqueue(NewRecord(session, AuditKind.End, now) with
        {
            Duration = now - details.StartedAt,
            MessagesReceived = details.MessagesReceived,
            MessagesSent = details.MessagesSent,
            Reconnects = details.Reconnects,
            EndReason = endReason,
        });
    }

    /// <summary>Completes when every record queued before the call is written; at once after <see cref="Dispose"/>.</summary>
    /// <param name="cancellationToken">Stops the wait (the records are still written).</param>
    /// <returns>A task that completes when the records are stored.</returns>
    internal Task FlushAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _disposed) != 0 ? Task.CompletedTask : _writer.FlushAsync(cancellationToken);

    /// <summary>The stored records, oldest first: all of them or one session's.</summary>
    /// <param name="sessionId">The session, or null for all.</param>
    /// <param name="limit">At most this many records.</param>
    /// <returns>The records.</returns>
    internal IReadOnlyList<AuditRecord> Query(string? sessionId = null, int limit = int.MaxValue)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _store.Find(sessionId, limit);
    }

    /// <summary>Stops recording, writes what is queued (for at most 5 s) and closes the database.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _writer.Complete();
        if (_evictionReports.TakePending() is var evicted and > 0)
        {
            SessionAuditLog.SessionsEvicted(_logger, _settings.MaxTrackedSessions, evicted);
        }

        _store.Dispose();
    }

    private AuditRecord NewRecord(ProxySession session, string kind, DateTimeOffset? at = null)
    {
        var frontend = session.Frontend;
        return new AuditRecord
        {
            SessionId = frontend.Id,
            Kind = kind,
            At = at ?? Now(),
            Uri = RecordedUri(frontend.RequestUri),
            FrontendId = frontend.FrontendId,
            RemoteAddress = frontend.RemoteAddress,
            BackendId = session.Backend.BackendId,
        };
    }

    private string RecordedUri(Uri uri)
    {
        if (uri.IsAbsoluteUri)
        {
            return _settings.IncludeQuery ? uri.PathAndQuery : uri.AbsolutePath;
        }

        var text = uri.OriginalString;
        var query = text.IndexOf('?', StringComparison.Ordinal);
        return _settings.IncludeQuery || query < 0 ? text : text[..query];
    }

    // Millisecond precision: the store's date precision, so that a stored record equals its exported line.
    private DateTimeOffset Now()
    {
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private void CountEviction(bool evicted)
    {
        if (!evicted)
        {
            return;
        }

        Interlocked.Increment(ref _evicted);
        if (_evictionReports.Add() is var count and > 0)
        {
            SessionAuditLog.SessionsEvicted(_logger, _settings.MaxTrackedSessions, count);
        }
    }
}

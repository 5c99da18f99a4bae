using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>
/// Moves records from a bounded queue into the store (and the export) on one background task, so that the session
/// threads that produce them never wait for the disk. A full queue drops the record and counts it.
/// </summary>
internal sealed class AuditWriter
{
    /// <summary>Records per transaction at most: large enough to amortize a commit, small enough to bound its memory.</summary>
    internal const int MaxBatch = 500;

    /// <summary>How long <see cref="Complete"/> lets the writer drain the queue, unless told otherwise.</summary>
    internal static readonly TimeSpan DefaultCompleteTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetentionInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private readonly Channel<QueueItem> _queue;
    private readonly AuditStore _store;
    private readonly AuditExport? _export;
    private readonly AuditSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<CancellationToken, ValueTask>? _beforeBatch;
    private readonly TimeSpan _completeTimeout;
    private readonly CancellationTokenSource _abandon = new();
    private readonly LogThrottle _dropReports;
    private readonly LogThrottle _failureReports;
    private readonly Task _loop;
    private long _dropped;
    private long _lastRetention; // the loop's own
    private volatile bool _completed;

    /// <param name="beforeBatch">Awaited before each batch is taken from the queue; lets a test hold the writer back.</param>
    /// <param name="completeTimeout">How long <see cref="Complete"/> lets the writer drain the queue.</param>
    public AuditWriter(
        AuditStore store, AuditExport? export, AuditSettings settings, TimeProvider time, ILogger logger,
        Func<CancellationToken, ValueTask>? beforeBatch, TimeSpan completeTimeout)
    {
        _completeTimeout = completeTimeout;
        _store = store;
        _export = export;
        _settings = settings;
        _time = time;
        _logger = logger;
        _beforeBatch = beforeBatch;
        _dropReports = new LogThrottle(time, WarningInterval);
        _failureReports = new LogThrottle(time, WarningInterval);
        _queue = Channel.CreateBounded<QueueItem>(new BoundedChannelOptions(settings.QueueCapacity)
        {
            SingleReader = true,

            // Wait, so that TryWrite reports "full" and the drop is counted here instead of happening silently.
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Records dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a record without waiting; drops and counts it when the queue is full.</summary>
    public void Enqueue(AuditRecord record)
    {
        if (_queue.Writer.TryWrite(new QueueItem(record, null)) || _completed)
        {
            return;
        }

        var total = Interlocked.Increment(ref _dropped);
        if (_dropReports.Add() is var dropped and > 0)
        {
            SessionAuditLog.QueueFull(_logger, _settings.QueueCapacity, dropped, total);
        }
    }

    /// <summary>Completes when every record queued before the call has been written (or the writer has stopped).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            // WriteAsync, not TryWrite: a flush waits for room rather than being dropped.
            await _queue.Writer.WriteAsync(new QueueItem(null, flushed), cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return;
        }

        await flushed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops taking records, lets the writer write what is queued for a bounded time, then abandons the rest.</summary>
    public void Complete()
    {
        _completed = true;
        _queue.Writer.TryComplete();

        // Dispose is synchronous, so this is a bounded blocking wait; the loop never faults (it logs instead).
        if (!_loop.Wait(_completeTimeout))
        {
            _abandon.Cancel();

            // The loop stops at its next await; a batch already in LiteDB cannot be interrupted, so give it a moment.
            _loop.Wait(AbandonGrace);
        }

        if (_dropReports.TakePending() is var dropped and > 0)
        {
            SessionAuditLog.QueueFull(_logger, _settings.QueueCapacity, dropped, Dropped);
        }

        if (_loop.IsCompleted)
        {
            _abandon.Dispose();
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<AuditRecord>(MaxBatch);
        var flushes = new List<TaskCompletionSource>();
        var abandon = _abandon.Token;
        try
        {
            Retain();
            while (await reader.WaitToReadAsync(abandon))
            {
                if (_beforeBatch is not null)
                {
                    await _beforeBatch(abandon);
                }

                while (batch.Count < MaxBatch && reader.TryRead(out var item))
                {
                    if (item.Record is { } record)
                    {
                        batch.Add(record);
                    }
                    else
                    {
                        flushes.Add(item.Flushed!);
                    }
                }

                Write(batch);
                batch.Clear();
                if (_time.GetElapsedTime(_lastRetention) >= RetentionInterval)
                {
                    Retain();
                }

                // After the retention pass, so that a flushed caller sees the store as the pass left it.
                foreach (var flushed in flushes)
                {
                    flushed.TrySetResult();
                }

                flushes.Clear();
            }
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            // Complete() gave up waiting; what is left is counted below.
        }
        catch (Exception ex)
        {
            SessionAuditLog.WriterFailed(_logger, ex);
        }
        finally
        {
            var lost = batch.Count;
            while (reader.TryRead(out var item))
            {
                if (item.Record is not null)
                {
                    lost++;
                }
                else
                {
                    flushes.Add(item.Flushed!);
                }
            }

            foreach (var flushed in flushes)
            {
                flushed.TrySetCanceled(CancellationToken.None);
            }

            if (lost > 0)
            {
                SessionAuditLog.Abandoned(_logger, lost, _completeTimeout);
            }
        }
    }

    private void Write(List<AuditRecord> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        IReadOnlyList<AuditRecord> stored = batch;
        try
        {
            stored = _store.Insert(batch);
        }
        catch (Exception ex)
        {
            // A fault barrier: LiteDB reports a full disk or a damaged page as almost any exception type, and the
            // writer must go on with the next batch.
            ReportFailure(batch.Count, "database", ex);
        }

        if (_export is null)
        {
            return;
        }

        try
        {
            _export.Append(stored);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ReportFailure(batch.Count, "export", ex);
        }
    }

    private void Retain()
    {
        _lastRetention = _time.GetTimestamp();
        try
        {
            var cutoff = _time.GetUtcNow() - _settings.MaxAge;
            var (byAge, byCount) = _store.Trim(cutoff, _settings.MaxRecords);
            var files = _export?.DeleteOlderThan(cutoff) ?? 0;
            if (byAge + byCount + files > 0)
            {
                SessionAuditLog.Trimmed(_logger, byAge, DurationText.Format(_settings.MaxAge), byCount, _settings.MaxRecords, files);
            }
        }
        catch (Exception ex)
        {
            // The same fault barrier as for writes: the next pass tries again.
            SessionAuditLog.RetentionFailed(_logger, ex);
        }
    }

    private void ReportFailure(int count, string target, Exception exception)
    {
        if (_failureReports.Add(count) is var failed and > 0)
        {
            SessionAuditLog.WriteFailed(_logger, failed, target, exception);
        }
    }

    private readonly record struct QueueItem(AuditRecord? Record, TaskCompletionSource? Flushed);
}

using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WsBalancer.Plugins.SessionAudit;

namespace WsBalancer.Plugins.Tests.SessionAudit;

public sealed class AuditWriterTests : IDisposable
{
    private readonly AuditSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task SessionCreated_QueueFull_RecordDroppedCountedAndReportedOncePerTenSeconds()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = _sandbox.Context(("queue-capacity", "3"));
        var listener = _sandbox.Open(context, beforeBatch: cancellationToken => new ValueTask(gate.Task.WaitAsync(cancellationToken)));

        // The writer is held before it takes anything: three records fit, the other five are dropped.
        for (var i = 0; i < 8; i++)
        {
            listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend($"s-{i}"), "b"));
        }

        Assert.Equal(5, listener.DroppedRecords);
        var first = Assert.Single(context.Log.Entries, entry => entry.EventId == 3002);
        Assert.Equal(LogLevel.Warning, first.Level);
        Assert.Contains("1 records dropped since the last report, 1 in all", first.Message, StringComparison.Ordinal);

        _sandbox.Time.Advance(TimeSpan.FromSeconds(10));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-late"), "b"));
        var reports = context.Log.Entries.Where(entry => entry.EventId == 3002).ToList();
        Assert.Equal(2, reports.Count);
        Assert.Contains("5 records dropped since the last report, 6 in all", reports[1].Message, StringComparison.Ordinal);

        gate.SetResult();
        await listener.FlushAsync(_sandbox.Timeout);
        Assert.Equal(["s-0", "s-1", "s-2"], listener.Query().Select(record => record.SessionId));
    }

    [Fact]
    public async Task FlushAsync_WriterHeldBack_CompletesOnlyAfterRelease()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = _sandbox.Open(_sandbox.Context(), beforeBatch: cancellationToken => new ValueTask(gate.Task.WaitAsync(cancellationToken)));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-0"), "b"));

        var flush = listener.FlushAsync(_sandbox.Timeout);
        await Task.Yield();
        Assert.False(flush.IsCompleted);
        Assert.Empty(listener.Query());

        gate.SetResult();
        await flush;
        Assert.Single(listener.Query());
    }

    [Fact]
    public void Dispose_RecordsQueued_WrittenBeforeTheFileIsReleased()
    {
        var listener = _sandbox.Open();
        for (var i = 0; i < 1200; i++)
        {
            listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend($"s-{i}"), "b"));
        }

        // LiteDB holds the file while the listener lives.
        Assert.Throws<IOException>(OpenExclusively);

        listener.Dispose();

        using (OpenExclusively())
        {
        }

        var reopened = _sandbox.Open();
        Assert.Equal(1200, reopened.Query().Count);
        Assert.Equal(0, listener.DroppedRecords);
    }

    [Fact]
    public void Dispose_WriterStuck_GivesUpAfterTheTimeoutAndReportsTheLoss()
    {
        var context = _sandbox.Context();
        var listener = _sandbox.Open(
            context,
            beforeBatch: cancellationToken => new ValueTask(Task.Delay(Timeout.Infinite, cancellationToken)),
            completeTimeout: TimeSpan.FromMilliseconds(200));
        for (var i = 0; i < 3; i++)
        {
            listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend($"s-{i}"), "b"));
        }

        var watch = Stopwatch.StartNew();
        listener.Dispose();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {watch.Elapsed}");
        var abandoned = Assert.Single(context.Log.Entries, entry => entry.EventId == 3007);
        Assert.Contains("before writing 3 queued records", abandoned.Message, StringComparison.Ordinal);
        using (OpenExclusively())
        {
        }
    }

    [Fact]
    public async Task Open_ExistingDatabase_RecordsKept()
    {
        var first = _sandbox.Open();
        var frontend = _sandbox.Frontend("s-1");
        first.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        await first.FlushAsync(_sandbox.Timeout);
        var stored = first.Query();
        first.Dispose();

        var second = _sandbox.Open();
        frontend.EndReason = "ClientClosed";
        second.SessionTerminated(AuditSandbox.Pair(frontend, "backend-a"));
        await second.FlushAsync(_sandbox.Timeout);

        var records = second.Query();
        Assert.Equal(stored, records.Take(1));
        Assert.Equal([AuditKind.Start, AuditKind.End], records.Select(record => record.Kind));
        Assert.True(records[1].Id > records[0].Id);
    }

    [Fact]
    public void Open_FileNotADatabase_ThrowsNamingTheFile()
    {
        File.WriteAllText(_sandbox.DatabasePath, "this is not a LiteDB file, it is a text file long enough to be read as a header page" + new string('x', 9000));

        var error = Assert.Throws<InvalidOperationException>(() => _sandbox.Open());

        Assert.Contains(_sandbox.DatabasePath, error.Message, StringComparison.Ordinal);
    }

    private FileStream OpenExclusively() => new(_sandbox.DatabasePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
}

using WsBalancer.Plugins.SessionAudit;

namespace WsBalancer.Plugins.Tests.SessionAudit;

public sealed class AuditRetentionTests : IDisposable
{
    private readonly AuditSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Retention_RecordsOlderThanMaxAge_Deleted()
    {
        var listener = _sandbox.Open(("max-age", "30d"));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("old"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);
        _sandbox.Time.Advance(TimeSpan.FromDays(20));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("middle"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);
        Assert.Equal(["old", "middle"], listener.Query().Select(record => record.SessionId));

        _sandbox.Time.Advance(TimeSpan.FromDays(10) + TimeSpan.FromMinutes(1));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("new"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Equal(["middle", "new"], listener.Query().Select(record => record.SessionId));
        Assert.Equal(2, listener.StoredRecords);
    }

    [Fact]
    public async Task Retention_WithinAMinuteOfLastPass_Deferred()
    {
        var listener = _sandbox.Open(("max-records", "2"));
        for (var i = 0; i < 5; i++)
        {
            listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend($"s-{i}"), "b"));
        }

        await listener.FlushAsync(_sandbox.Timeout);

        // The pass at start-up was less than a minute ago: nothing is deleted yet.
        Assert.Equal(5, listener.Query().Count);
        _sandbox.Time.Advance(TimeSpan.FromSeconds(59));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-5"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);
        Assert.Equal(6, listener.Query().Count);
    }

    [Fact]
    public async Task Retention_BeyondMaxRecords_OldestDeleted()
    {
        var context = _sandbox.Context(("max-records", "4"));
        var listener = _sandbox.Open(context);
        for (var i = 0; i < 9; i++)
        {
            listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend($"s-{i}"), "b"));
        }

        await listener.FlushAsync(_sandbox.Timeout);
        _sandbox.Time.Advance(TimeSpan.FromMinutes(1));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-9"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Equal(["s-6", "s-7", "s-8", "s-9"], listener.Query().Select(record => record.SessionId));
        Assert.Equal(4, listener.StoredRecords);
        Assert.Contains(context.Log.Entries, entry => entry.EventId == 3006 && entry.Message.Contains("6 beyond 4 records", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retention_OnOpen_TrimsWhatAnEarlierInstanceLeft()
    {
        var first = _sandbox.Open();
        for (var i = 0; i < 6; i++)
        {
            first.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend($"s-{i}"), "b"));
        }

        first.Dispose();

        var second = _sandbox.Open(("max-records", "2"));
        await second.FlushAsync(_sandbox.Timeout);

        Assert.Equal(["s-4", "s-5"], second.Query().Select(record => record.SessionId));
    }

    [Fact]
    public async Task Retention_ExportFilesOlderThanMaxAge_Deleted()
    {
        var listener = _sandbox.Open(("export", "true"), ("max-age", "2d"));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("day-1"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);
        _sandbox.Time.Advance(TimeSpan.FromDays(1));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("day-2"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);
        Assert.Equal(["audit-2025-03-14.jsonl", "audit-2025-03-15.jsonl"], ExportFiles());

        // 2025-03-17T15:09: every record of the 14th is older than two days, some of the 15th are not.
        _sandbox.Time.Advance(TimeSpan.FromDays(2));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("day-4"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Equal(["audit-2025-03-15.jsonl", "audit-2025-03-17.jsonl"], ExportFiles());

        // day-2 is exactly two days old: only what is older than max-age goes.
        Assert.Equal(["day-2", "day-4"], listener.Query().Select(record => record.SessionId));
    }

    private string[] ExportFiles() => [.. Directory.GetFiles(_sandbox.ExportDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}

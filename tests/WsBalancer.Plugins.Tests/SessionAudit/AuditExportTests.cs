using System.Globalization;
using System.Text.Json;
using WsBalancer.Plugins.SessionAudit;

namespace WsBalancer.Plugins.Tests.SessionAudit;

public sealed class AuditExportTests : IDisposable
{
    private readonly AuditSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Export_Enabled_EveryRecordOneJsonLineMatchingTheStore()
    {
        var listener = _sandbox.Open(("export", "true"));
        var frontend = _sandbox.Frontend("s-1");
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-a"));
        frontend.Reconnects = 1;
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-b"));
        _sandbox.Time.Advance(TimeSpan.FromSeconds(1.5));
        (frontend.MessagesReceived, frontend.MessagesSent, frontend.EndReason) = (3, 4, "ClientClosed");
        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-b"));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-2", remoteAddress: null), "backend-a"));
        await listener.FlushAsync(_sandbox.Timeout);

        var lines = File.ReadAllLines(Path.Combine(_sandbox.ExportDirectory, "audit-2025-03-14.jsonl"));
        var records = listener.Query();
        Assert.Equal(records.Count, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            AssertSame(records[i], line.RootElement);
        }

        using var end = JsonDocument.Parse(lines[2]);
        Assert.Equal("2025-03-14T15:09:28.035+00:00", end.RootElement.GetProperty("at").GetString());
        Assert.Equal(1500, end.RootElement.GetProperty("durationMs").GetDouble());
        using var noAddress = JsonDocument.Parse(lines[3]);
        Assert.False(noAddress.RootElement.TryGetProperty("remoteAddress", out _));
    }

    [Fact]
    public async Task Export_RecordsOfTwoDays_OneFilePerUtcDate()
    {
        _sandbox.Time.SetUtcNow(new DateTimeOffset(2025, 3, 14, 23, 59, 59, 900, TimeSpan.Zero));
        var listener = _sandbox.Open(("export", "true"));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("before"), "b"));
        _sandbox.Time.Advance(TimeSpan.FromMilliseconds(200));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("after"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Equal(["before"], SessionIds("audit-2025-03-14.jsonl"));
        Assert.Equal(["after"], SessionIds("audit-2025-03-15.jsonl"));
    }

    [Fact]
    public async Task Export_Disabled_NoExportFolder()
    {
        var listener = _sandbox.Open();
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-1"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Single(listener.Query());
        Assert.False(Directory.Exists(_sandbox.ExportDirectory));
    }

    [Fact]
    public async Task Export_FileCannotBeWritten_StoreKeepsRecordAndFailureLogged()
    {
        var context = _sandbox.Context(("export", "true"));
        Directory.CreateDirectory(Path.Combine(_sandbox.ExportDirectory, "audit-2025-03-14.jsonl"));
        var listener = _sandbox.Open(context);

        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-1"), "b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Single(listener.Query());
        var failure = Assert.Single(context.Log.Entries, entry => entry.EventId == 3004);
        Assert.Contains("to the export: 1 lost", failure.Message, StringComparison.Ordinal);
    }

    private static void AssertSame(AuditRecord record, JsonElement line)
    {
        Assert.Equal(record.Id, line.GetProperty("id").GetInt64());
        Assert.Equal(record.SessionId, line.GetProperty("sessionId").GetString());
        Assert.Equal(record.Kind, line.GetProperty("kind").GetString());
        Assert.Equal(record.At, DateTimeOffset.Parse(line.GetProperty("at").GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(record.Uri, Optional(line, "uri")?.GetString());
        Assert.Equal(record.FrontendId, Optional(line, "frontendId")?.GetString());
        Assert.Equal(record.RemoteAddress, Optional(line, "remoteAddress")?.GetString());
        Assert.Equal(record.BackendId, Optional(line, "backendId")?.GetString());
        Assert.Equal(record.PreviousBackendId, Optional(line, "previousBackendId")?.GetString());
        Assert.Equal(record.Duration?.TotalMilliseconds, Optional(line, "durationMs")?.GetDouble());
        Assert.Equal(record.MessagesReceived, Optional(line, "messagesReceived")?.GetInt64());
        Assert.Equal(record.MessagesSent, Optional(line, "messagesSent")?.GetInt64());
        Assert.Equal(record.Reconnects, Optional(line, "reconnects")?.GetInt32());
        Assert.Equal(record.EndReason, Optional(line, "endReason")?.GetString());
        Assert.False(line.TryGetProperty("duration", out _));
    }

    private static JsonElement? Optional(JsonElement line, string name) => line.TryGetProperty(name, out var value) ? value : null;

    private List<string?> SessionIds(string file)
    {
        var ids = new List<string?>();
        foreach (var text in File.ReadAllLines(Path.Combine(_sandbox.ExportDirectory, file)))
        {
            using var line = JsonDocument.Parse(text);
            ids.Add(line.RootElement.GetProperty("sessionId").GetString());
        }

        return ids;
    }
}

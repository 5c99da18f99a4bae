using Bogus;
using WsBalancer.Plugins.SessionAudit;

namespace WsBalancer.Plugins.Tests.SessionAudit;

public sealed class SessionAuditListenerTests : IDisposable
{
    private readonly AuditSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task SessionCreated_FirstPair_RecordsStartWithConnectionFields()
    {
        var listener = _sandbox.Open();
        var frontend = new DetailedFrontend { Id = "s-1", FrontendId = "fe-7", RequestUri = new Uri("/ocpp/CP-42", UriKind.Relative), RemoteAddress = "198.51.100.4" };

        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        await listener.FlushAsync(_sandbox.Timeout);

        var record = Assert.Single(listener.Query());
        Assert.Equal(
            new AuditRecord
            {
                Id = record.Id,
                SessionId = "s-1",
                Kind = AuditKind.Start,
                At = new DateTimeOffset(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero),
                Uri = "/ocpp/CP-42",
                FrontendId = "fe-7",
                RemoteAddress = "198.51.100.4",
                BackendId = "backend-a",
            },
            record);
        Assert.True(record.Id > 0);
    }

    [Fact]
    public async Task SessionCreated_AfterTerminatedWithoutReason_RecordsFailoverFromOldBackend()
    {
        var listener = _sandbox.Open();
        var frontend = _sandbox.Frontend("s-1");
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        _sandbox.Time.Advance(TimeSpan.FromSeconds(3));

        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-a"));
        frontend.Reconnects = 1;
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-b"));
        await listener.FlushAsync(_sandbox.Timeout);

        var records = listener.Query("s-1");
        Assert.Equal([AuditKind.Start, AuditKind.Failover], records.Select(record => record.Kind));
        var failover = records[1];
        Assert.Equal(("backend-b", "backend-a"), (failover.BackendId, failover.PreviousBackendId));
        Assert.Equal(_sandbox.Time.GetUtcNow(), failover.At);
        Assert.Null(failover.EndReason);
        Assert.Null(failover.Duration);
    }

    [Fact]
    public async Task SessionTerminated_WithEndReason_RecordsEndWithFigures()
    {
        var listener = _sandbox.Open();
        var frontend = _sandbox.Frontend("s-1");
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-a"));
        frontend.Reconnects = 1;
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-b"));
        _sandbox.Time.Advance(TimeSpan.FromMinutes(90) + TimeSpan.FromMilliseconds(250));
        (frontend.MessagesReceived, frontend.MessagesSent, frontend.EndReason) = (41, 17, "ClientClosed");

        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-b"));
        await listener.FlushAsync(_sandbox.Timeout);

        var end = listener.Query("s-1")[^1];
        Assert.Equal(AuditKind.End, end.Kind);
        Assert.Equal(TimeSpan.FromMinutes(90) + TimeSpan.FromMilliseconds(250), end.Duration);
        Assert.Equal((41L, 17L, 1, "ClientClosed"), (end.MessagesReceived, end.MessagesSent, end.Reconnects, end.EndReason));
        Assert.Equal(("backend-b", (string?)null), (end.BackendId, end.PreviousBackendId));
        Assert.Equal(0, listener.TrackedSessions);
    }

    [Fact]
    public async Task SessionCreated_AfterEnd_RecordsNewStart()
    {
        var listener = _sandbox.Open();
        var first = _sandbox.Frontend("s-1");
        listener.SessionCreated(AuditSandbox.Pair(first, "backend-a"));
        first.EndReason = "BackendClosed";
        listener.SessionTerminated(AuditSandbox.Pair(first, "backend-a"));

        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-1"), "backend-b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Equal([AuditKind.Start, AuditKind.End, AuditKind.Start], listener.Query("s-1").Select(record => record.Kind));
    }

    [Fact]
    public async Task SessionTerminated_FrontendWithoutDetails_RecordsNoEndAndNoFigures()
    {
        var listener = _sandbox.Open();
        var frontend = new PlainFrontend { Id = "p-1" };

        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-a"));
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-b"));
        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-b"));
        await listener.FlushAsync(_sandbox.Timeout);

        // Without ISessionDetails every Terminated looks like a failover: the session stays tracked until evicted.
        var records = listener.Query("p-1");
        Assert.Equal([AuditKind.Start, AuditKind.Failover], records.Select(record => record.Kind));
        Assert.All(records, record => Assert.Null(record.RemoteAddress));
        Assert.All(records, record => Assert.True(record is { Duration: null, MessagesReceived: null, MessagesSent: null, Reconnects: null, EndReason: null }));
        Assert.Equal(1, listener.TrackedSessions);
    }

    [Theory]
    [InlineData("false", "/ws/chat")]
    [InlineData("true", "/ws/chat?token=secret")]
    public async Task SessionCreated_QueryString_KeptOnlyWithIncludeQuery(string includeQuery, string expected)
    {
        var listener = _sandbox.Open(("include-query", includeQuery));

        listener.SessionCreated(AuditSandbox.Pair(new DetailedFrontend { Id = "r", RequestUri = new Uri("/ws/chat?token=secret", UriKind.Relative) }, "b"));
        listener.SessionCreated(AuditSandbox.Pair(new DetailedFrontend { Id = "a", RequestUri = new Uri("ws://balancer.test:8080/ws/chat?token=secret") }, "b"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Equal([expected, expected], listener.Query().Select(record => record.Uri));
    }

    [Fact]
    public async Task SessionCreated_BeyondMaxTrackedSessions_ForgetsLeastRecentlyActive()
    {
        var context = _sandbox.Context(("max-tracked-sessions", "3"));
        var listener = _sandbox.Open(context);
        var frontends = Enumerable.Range(0, 10).Select(i => _sandbox.Frontend($"s-{i}")).ToList();
        foreach (var frontend in frontends)
        {
            listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        }

        // s-0 was forgotten: its failover is still recorded as one (the host says it reconnected), without the old backend.
        listener.SessionTerminated(AuditSandbox.Pair(frontends[0], "backend-a"));
        frontends[0].Reconnects = 1;
        listener.SessionCreated(AuditSandbox.Pair(frontends[0], "backend-b"));
        var forgotten = _sandbox.Frontend("s-2");
        forgotten.Reconnects = 1;
        listener.SessionCreated(AuditSandbox.Pair(forgotten, "backend-c"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Equal(3, listener.TrackedSessions);
        Assert.Equal(9, listener.EvictedSessions);
        var s0 = listener.Query("s-0");
        Assert.Equal([AuditKind.Start, AuditKind.Failover], s0.Select(record => record.Kind));
        Assert.Equal(("backend-b", "backend-a"), (s0[1].BackendId, s0[1].PreviousBackendId));
        var s2 = listener.Query("s-2");
        Assert.Equal([AuditKind.Start, AuditKind.Failover], s2.Select(record => record.Kind));
        Assert.Null(s2[1].PreviousBackendId);

        // The first eviction is reported at once, the next ones at most every 10 s, with their count.
        var first = Assert.Single(context.Log.Entries, entry => entry.EventId == 3003);
        Assert.Contains(": 1 least recently active", first.Message, StringComparison.Ordinal);
        _sandbox.Time.Advance(TimeSpan.FromSeconds(10));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-late"), "backend-a"));
        var reports = context.Log.Entries.Where(entry => entry.EventId == 3003).ToList();
        Assert.Equal(2, reports.Count);
        Assert.Contains(": 9 least recently active", reports[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionEvents_GeneratedSessions_EveryTransitionRecordedInOrder()
    {
        var faker = new Faker { Random = new Randomizer(3141) };
        var context = _sandbox.Context();
        var listener = _sandbox.Open(context);
        var backends = new[] { "b-north", "b-south", "b-east", "b-west" };
        var sessions = Enumerable.Range(0, 250).Select(i => new GeneratedSession(
            new DetailedFrontend
            {
                Id = faker.Random.Guid().ToString("N"),
                FrontendId = faker.PickRandom("fe-1", "fe-2"),
                RequestUri = new Uri(faker.Internet.UrlRootedPath(), UriKind.Relative),
                RemoteAddress = faker.Random.Bool(0.9f) ? faker.Internet.Ip() : null,
                StartedAt = _sandbox.Time.GetUtcNow(),
            },
            [.. Enumerable.Range(0, faker.Random.Int(1, 4)).Select(_ => faker.PickRandom(backends))],
            faker.PickRandom("ClientClosed", "BackendClosed", "NoBackend", "Aborted"))).ToList();

        // Interleave the sessions' events the way concurrent sessions arrive: each session's own events stay in order.
        var pending = sessions.Select(session => new Queue<Action>(session.Events(listener))).ToList();
        while (pending.Count > 0)
        {
            var next = faker.Random.Int(0, pending.Count - 1);
            pending[next].Dequeue()();
            if (pending[next].Count == 0)
            {
                pending.RemoveAt(next);
            }
        }

        await listener.FlushAsync(_sandbox.Timeout);

        var all = listener.Query();
        Assert.Equal(sessions.Sum(session => session.Backends.Length + 1), all.Count);
        Assert.Equal(all.Select(record => record.Id).Order(), all.Select(record => record.Id));
        foreach (var session in sessions)
        {
            var records = listener.Query(session.Frontend.Id);
            Assert.Equal(
                [AuditKind.Start, .. Enumerable.Repeat(AuditKind.Failover, session.Backends.Length - 1), AuditKind.End],
                records.Select(record => record.Kind));
            Assert.Equal([.. session.Backends, session.Backends[^1]], records.Select(record => record.BackendId));
            Assert.Equal([null, .. session.Backends[..^1], null], records.Select(record => record.PreviousBackendId));
            Assert.All(records, record => Assert.Equal(
                (session.Frontend.FrontendId, session.Frontend.RequestUri.OriginalString, session.Frontend.RemoteAddress),
                (record.FrontendId, record.Uri, record.RemoteAddress)));
            Assert.Equal((session.EndReason, session.Backends.Length - 1), (records[^1].EndReason, records[^1].Reconnects));
        }

        Assert.Equal(0, listener.TrackedSessions);
        Assert.Equal(0, listener.DroppedRecords);
        Assert.DoesNotContain(context.Log.Entries, entry => entry.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task SessionEvents_AfterDispose_Ignored()
    {
        var listener = _sandbox.Open();
        var frontend = _sandbox.Frontend("s-1");
        listener.SessionCreated(AuditSandbox.Pair(frontend, "backend-a"));
        listener.Dispose();

        frontend.EndReason = "ClientClosed";
        listener.SessionTerminated(AuditSandbox.Pair(frontend, "backend-a"));
        listener.SessionCreated(AuditSandbox.Pair(_sandbox.Frontend("s-2"), "backend-a"));
        await listener.FlushAsync(_sandbox.Timeout);

        Assert.Throws<ObjectDisposedException>(() => listener.Query());
        var reopened = _sandbox.Open();
        Assert.Equal(["s-1"], reopened.Query().Select(record => record.SessionId));
    }

    private sealed record GeneratedSession(DetailedFrontend Frontend, string[] Backends, string EndReason)
    {
        public IEnumerable<Action> Events(SessionAuditListener listener)
        {
            for (var i = 0; i < Backends.Length; i++)
            {
                var pair = AuditSandbox.Pair(Frontend, Backends[i]);
                var reconnects = i;
                yield return () =>
                {
                    Frontend.Reconnects = reconnects;
                    listener.SessionCreated(pair);
                };

                var last = i == Backends.Length - 1;
                yield return () =>
                {
                    Frontend.EndReason = last ? EndReason : null;
                    listener.SessionTerminated(pair);
                };
            }
        }
    }
}

using WsBalancer.Host.Storage;

namespace WsBalancer.Host.Tests.Storage;

/// <summary>Add, SetEnabled and Delete as the admin API calls them: rules, persistence and thread safety.</summary>
public sealed class BackendRegistryAdminTests : IDisposable
{
    private readonly StorageSandbox _sandbox = new(seed: 1604);

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Add_NewBackend_LiveEnabledApiOrigin()
    {
        var registry = _sandbox.Open();
        var backend = _sandbox.Backends.Next();

        Assert.Null(registry.Add(backend));

        var record = Assert.Single(registry.Live);
        Assert.True(record.Enabled);
        Assert.Equal(BackendOrigin.Api, record.Origin);
        Assert.Equal(_sandbox.Time.GetUtcNow(), record.UpdatedAt);
        BackendFaker.AssertSame(backend, record.Settings);
    }

    [Fact]
    public void Add_DuplicateId_ReturnsReason()
    {
        var registry = _sandbox.Open();
        Assert.Null(registry.Add(_sandbox.Backends.Next("b1")));

        Assert.Equal("duplicate id 'b1'", registry.Add(_sandbox.Backends.Next("b1")));
        Assert.Single(registry.Live);
    }

    [Fact]
    public void Add_DuplicateIdOfConfigBackend_ReturnsReason()
    {
        var registry = _sandbox.Open();
        registry.Reconcile([_sandbox.Backends.Next("c1")]);

        Assert.Equal("duplicate id 'c1'", registry.Add(_sandbox.Backends.Next("c1")));
    }

    [Theory]
    [InlineData("ws://backend.example:9000/chat", "WS://Backend.Example:9000/Chat")]
    [InlineData("ws://backend.example:9000/chat", "ws://backend.example:9000/chat/")]
    [InlineData("ws://backend.example:9000/", "ws://backend.example:9000")]
    public void Add_DuplicateUrl_ReturnsReason(string first, string second)
    {
        var registry = _sandbox.Open();
        Assert.Null(registry.Add(_sandbox.Backends.Next("one") with { Url = new Uri(first) }));

        Assert.Equal($"duplicate url '{second}'", registry.Add(_sandbox.Backends.Next("two") with { Url = new Uri(second) }));
    }

    [Fact]
    public void Add_IdsDifferingOnlyInCase_BothKept()
    {
        var registry = _sandbox.Open();

        Assert.Null(registry.Add(_sandbox.Backends.Next("Edge")));
        Assert.Null(registry.Add(_sandbox.Backends.Next("edge")));

        Assert.Equal(["Edge", "edge"], _sandbox.Restart(registry).Live.Select(b => b.Settings.Id));
    }

    [Fact]
    public void Add_IdOfDeletedConfigBackend_ReplacesTombstone()
    {
        var registry = _sandbox.Open();
        var configured = _sandbox.Backends.Next("c1");
        registry.Reconcile([configured]);
        Assert.True(registry.Delete("c1"));
        var readded = _sandbox.Backends.Next("c1");

        Assert.Null(registry.Add(readded));

        var record = Assert.Single(registry.Live);
        Assert.Equal(BackendOrigin.Api, record.Origin);
        BackendFaker.AssertSame(readded, record.Settings);

        // Still named by the configuration, so the next start hands it back to the configuration.
        registry = _sandbox.Restart(registry);
        var live = registry.Reconcile([configured]);
        Assert.Equal(BackendOrigin.Config, Assert.Single(live).Origin);
        BackendFaker.AssertSame(configured, live[0].Settings);
    }

    [Fact]
    public void Add_UrlOfDeletedConfigBackend_Accepted()
    {
        var registry = _sandbox.Open();
        var configured = _sandbox.Backends.Next("c1");
        registry.Reconcile([configured]);
        Assert.True(registry.Delete("c1"));

        Assert.Null(registry.Add(_sandbox.Backends.Next("api") with { Url = configured.Url }));
    }

    [Fact]
    public void SetEnabled_KnownBackend_StoredAcrossRestart()
    {
        var registry = _sandbox.Open();
        var backend = _sandbox.Backends.Next();
        Assert.Null(registry.Add(backend));
        _sandbox.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.True(registry.SetEnabled(backend.Id, enabled: false));

        var record = Assert.Single(_sandbox.Restart(registry).Live);
        Assert.False(record.Enabled);
        Assert.Equal(_sandbox.Time.GetUtcNow(), record.UpdatedAt);
    }

    [Fact]
    public void SetEnabled_AlreadyInThatState_TrueWithoutWrite()
    {
        var registry = _sandbox.Open();
        var backend = _sandbox.Backends.Next();
        Assert.Null(registry.Add(backend));
        var before = Assert.Single(registry.Live).UpdatedAt;
        _sandbox.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.True(registry.SetEnabled(backend.Id, enabled: true));

        Assert.Equal(before, Assert.Single(registry.Live).UpdatedAt);
    }

    [Fact]
    public void SetEnabled_UnknownId_False()
    {
        var registry = _sandbox.Open();

        Assert.False(registry.SetEnabled("nobody", enabled: false));
    }

    [Fact]
    public void Delete_ApiBackend_RemovedFromFile()
    {
        var registry = _sandbox.Open();
        var backend = _sandbox.Backends.Next();
        Assert.Null(registry.Add(backend));

        Assert.True(registry.Delete(backend.Id));

        Assert.Empty(registry.Live);
        registry = _sandbox.Restart(registry);
        Assert.Empty(registry.Live);
        Assert.Null(registry.Add(backend)); // gone, not a tombstone
    }

    [Fact]
    public void Delete_Twice_SecondFalse()
    {
        var registry = _sandbox.Open();
        registry.Reconcile([_sandbox.Backends.Next("c1")]);

        Assert.True(registry.Delete("c1"));
        Assert.False(registry.Delete("c1"));
        Assert.False(registry.Delete("never-there"));
    }

    [Fact]
    public void Live_AfterAdds_InInsertionOrder()
    {
        var registry = _sandbox.Open();
        var ids = new[] { "m", "a", "z", "b" };
        foreach (var id in ids)
        {
            Assert.Null(registry.Add(_sandbox.Backends.Next(id)));
        }

        Assert.True(registry.Delete("a"));
        Assert.Null(registry.Add(_sandbox.Backends.Next("a")));

        Assert.Equal(["m", "z", "b", "a"], registry.Live.Select(b => b.Settings.Id));
        Assert.Equal(["m", "z", "b", "a"], _sandbox.Restart(registry).Live.Select(b => b.Settings.Id));
    }

    [Fact]
    public void Reopen_AfterAddDisableDelete_SameState()
    {
        var registry = _sandbox.Open();
        registry.Reconcile([_sandbox.Backends.Next("c1"), _sandbox.Backends.Next("c2"), _sandbox.Backends.Next("c3")]);
        foreach (var id in new[] { "a1", "a2", "a3" })
        {
            Assert.Null(registry.Add(_sandbox.Backends.Next(id)));
        }

        Assert.True(registry.SetEnabled("a1", enabled: false));
        Assert.True(registry.SetEnabled("c3", enabled: false));
        Assert.True(registry.Delete("a2"));
        Assert.True(registry.Delete("c2"));
        var before = registry.Live;

        var after = _sandbox.Restart(registry).Live;

        Assert.Equal(["c1", "c3", "a1", "a3"], after.Select(b => b.Settings.Id));
        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++)
        {
            BackendFaker.AssertSame(before[i].Settings, after[i].Settings);
            Assert.Equal(before[i].Enabled, after[i].Enabled);
            Assert.Equal(before[i].Origin, after[i].Origin);
            Assert.Equal(before[i].UpdatedAt, after[i].UpdatedAt);
        }
    }

    [Fact]
    public void Live_SnapshotTaken_NotChangedByLaterWrites()
    {
        var registry = _sandbox.Open();
        Assert.Null(registry.Add(_sandbox.Backends.Next()));
        var snapshot = registry.Live;

        Assert.Null(registry.Add(_sandbox.Backends.Next()));

        Assert.Single(snapshot);
        Assert.False(snapshot is BackendRecord[]);
    }

    [Fact]
    public void Parallel_AddsSwitchesDeletesFromManyThreads_AllStoredConsistently()
    {
        var registry = _sandbox.Open();
        var backends = Enumerable.Range(0, 300).Select(i => _sandbox.Backends.Next($"b{i}")).ToArray();
        registry.Reconcile([.. backends.Take(60)]);

        Parallel.For(0, backends.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            var id = backends[i].Id;
            if (i >= 60)
            {
                Assert.Null(registry.Add(backends[i]));
            }

            Assert.True(registry.SetEnabled(id, enabled: i % 2 == 0));
            Assert.NotEmpty(registry.Live);
            if (i % 3 == 0)
            {
                Assert.True(registry.Delete(id));
            }
        });

        var expected = Enumerable.Range(0, backends.Length).Where(i => i % 3 != 0).ToArray();
        AssertState(registry);
        AssertState(_sandbox.Restart(registry));

        void AssertState(BackendRegistry actual)
        {
            var live = actual.Live.ToDictionary(b => b.Settings.Id);
            Assert.Equal(expected.Select(i => backends[i].Id).Order(StringComparer.Ordinal), live.Keys.Order(StringComparer.Ordinal));
            foreach (var i in expected)
            {
                Assert.Equal(i % 2 == 0, live[backends[i].Id].Enabled);
                Assert.Equal(i < 60 ? BackendOrigin.Config : BackendOrigin.Api, live[backends[i].Id].Origin);
            }

            // The 60 configured ones were stored first, in configuration order.
            Assert.Equal(expected.Where(i => i < 60).Select(i => backends[i].Id), actual.Live.Take(expected.Count(i => i < 60)).Select(b => b.Settings.Id));
        }
    }

    [Fact]
    public void Parallel_SameIdAndUrlFromManyThreads_ExactlyOneWins()
    {
        var registry = _sandbox.Open();
        var original = _sandbox.Backends.Next("contested");
        var attempts = Enumerable.Range(0, 64)
            .Select(i => i % 2 == 0 ? original : _sandbox.Backends.Next($"other-{i}") with { Url = new Uri(original.Url.OriginalString + "/") })
            .ToArray();
        var results = new string?[attempts.Length];

        Parallel.For(0, attempts.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i => results[i] = registry.Add(attempts[i]));

        Assert.Single(results, result => result is null);
        Assert.Single(registry.Live);
        Assert.Single(_sandbox.Restart(registry).Live);
    }
}

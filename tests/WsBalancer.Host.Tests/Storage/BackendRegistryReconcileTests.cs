using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Storage;

namespace WsBalancer.Host.Tests.Storage;

/// <summary>The seeding rules of <see cref="BackendRegistry.Reconcile"/>, each across a real restart of the database.</summary>
public sealed class BackendRegistryReconcileTests : IDisposable
{
    private readonly StorageSandbox _sandbox = new(seed: 1603);

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Reconcile_NewConfigBackends_AddedEnabledInConfigOrder()
    {
        var configured = new[] { _sandbox.Backends.Next("zulu"), _sandbox.Backends.Next("alpha"), _sandbox.Backends.Next("mike") };
        var registry = _sandbox.Open();

        var live = registry.Reconcile(configured);

        Assert.Equal(["zulu", "alpha", "mike"], live.Select(b => b.Settings.Id));
        Assert.All(live, b => Assert.True(b.Enabled));
        Assert.All(live, b => Assert.Equal(BackendOrigin.Config, b.Origin));
        for (var i = 0; i < configured.Length; i++)
        {
            BackendFaker.AssertSame(configured[i], live[i].Settings);
        }

        Assert.Equal(live.Select(b => b.Settings.Id), _sandbox.Restart(registry).Live.Select(b => b.Settings.Id));
    }

    [Fact]
    public void Reconcile_ChangedSettings_Updated()
    {
        var original = _sandbox.Backends.Next("c1");
        var registry = _sandbox.Open();
        registry.Reconcile([original]);
        registry = _sandbox.Restart(registry);
        var changed = _sandbox.Backends.Changed(original);

        var live = registry.Reconcile([changed]);

        BackendFaker.AssertSame(changed, Assert.Single(live).Settings);
        BackendFaker.AssertSame(changed, Assert.Single(_sandbox.Restart(registry).Live).Settings);
    }

    [Fact]
    public void Reconcile_SameConfigAgain_WritesNothing()
    {
        var configured = new[] { _sandbox.Backends.Next(), _sandbox.Backends.Next() };
        var registry = _sandbox.Open();
        var first = registry.Reconcile(configured);
        registry = _sandbox.Restart(registry);
        _sandbox.Time.Advance(TimeSpan.FromHours(1));

        var second = registry.Reconcile(configured);

        Assert.Equal(first.Select(b => b.UpdatedAt), second.Select(b => b.UpdatedAt));
        Assert.Contains(_sandbox.Logger.Entries, e => e.EventId == 1602 && e.Message.Contains("0 added, 0 updated, 0 removed, 0 kept deleted", StringComparison.Ordinal));
    }

    [Fact]
    public void Reconcile_DisabledConfigBackendWithNewSettings_StaysDisabled()
    {
        var original = _sandbox.Backends.Next("c1");
        var registry = _sandbox.Open();
        registry.Reconcile([original]);
        Assert.True(registry.SetEnabled("c1", enabled: false));
        registry = _sandbox.Restart(registry);

        var live = registry.Reconcile([_sandbox.Backends.Changed(original)]);

        Assert.False(Assert.Single(live).Enabled);
    }

    [Fact]
    public void Reconcile_DisabledConfigBackendUnchanged_StaysDisabled()
    {
        var original = _sandbox.Backends.Next("c1");
        var registry = _sandbox.Open();
        registry.Reconcile([original]);
        Assert.True(registry.SetEnabled("c1", enabled: false));
        registry = _sandbox.Restart(registry);

        Assert.False(Assert.Single(registry.Reconcile([original])).Enabled);
    }

    [Fact]
    public void Reconcile_ApiBackendWithConfiguredId_TakenOverByConfig()
    {
        var api = _sandbox.Backends.Next("shared");
        var registry = _sandbox.Open();
        var earlier = _sandbox.Backends.Next();
        Assert.Null(registry.Add(earlier));
        Assert.Null(registry.Add(api));
        Assert.True(registry.SetEnabled("shared", enabled: false));
        registry = _sandbox.Restart(registry);
        var fromConfig = _sandbox.Backends.Next("shared");

        var live = registry.Reconcile([fromConfig]);

        var taken = live.Single(b => b.Settings.Id == "shared");
        Assert.Equal(BackendOrigin.Config, taken.Origin);
        Assert.False(taken.Enabled);
        BackendFaker.AssertSame(fromConfig, taken.Settings);
        Assert.Equal([earlier.Id, "shared"], live.Select(b => b.Settings.Id)); // keeps its place
        Assert.Contains(_sandbox.Logger.Entries, e => e.EventId == 1605 && e.Message.Contains("shared", StringComparison.Ordinal));

        // Now the configuration's: dropping it from the configuration removes it.
        registry = _sandbox.Restart(registry);
        Assert.Equal([earlier.Id], registry.Reconcile([]).Select(b => b.Settings.Id));
    }

    [Fact]
    public void Reconcile_ConfigBackendDroppedFromConfig_Removed()
    {
        var kept = _sandbox.Backends.Next("kept");
        var dropped = _sandbox.Backends.Next("dropped");
        var registry = _sandbox.Open();
        registry.Reconcile([dropped, kept]);
        Assert.True(registry.SetEnabled("dropped", enabled: false));
        registry = _sandbox.Restart(registry);

        var live = registry.Reconcile([kept]);

        Assert.Equal(["kept"], live.Select(b => b.Settings.Id));
        registry = _sandbox.Restart(registry);
        Assert.Equal(["kept"], registry.Live.Select(b => b.Settings.Id));

        // Removed entirely, not hidden: the API may add the id and the URL again.
        Assert.Null(registry.Add(dropped));
    }

    [Fact]
    public void Reconcile_DeletedConfigBackendStillNamed_StaysDeleted()
    {
        var configured = new[] { _sandbox.Backends.Next("c1"), _sandbox.Backends.Next("c2") };
        var registry = _sandbox.Open();
        registry.Reconcile(configured);
        Assert.True(registry.Delete("c1"));
        registry = _sandbox.Restart(registry);

        Assert.Equal(["c2"], registry.Live.Select(b => b.Settings.Id));
        var live = registry.Reconcile([_sandbox.Backends.Changed(configured[0]), configured[1]]);

        Assert.Equal(["c2"], live.Select(b => b.Settings.Id));
        Assert.Contains(_sandbox.Logger.Entries, e => e.EventId == 1607 && e.Message.Contains("c1", StringComparison.Ordinal));
        Assert.False(registry.SetEnabled("c1", enabled: true));
        Assert.False(registry.Delete("c1"));
    }

    [Fact]
    public void Reconcile_DeletedConfigBackendNoLongerNamed_TombstoneDropped()
    {
        var c1 = _sandbox.Backends.Next("c1");
        var registry = _sandbox.Open();
        registry.Reconcile([c1]);
        Assert.True(registry.SetEnabled("c1", enabled: false));
        Assert.True(registry.Delete("c1"));
        registry = _sandbox.Restart(registry);
        registry.Reconcile([]);
        registry = _sandbox.Restart(registry);

        var live = registry.Reconcile([c1]);

        // The configuration names it afresh: added as new, enabled.
        var record = Assert.Single(live);
        Assert.True(record.Enabled);
        Assert.Equal(BackendOrigin.Config, record.Origin);
        Assert.Contains(_sandbox.Logger.Entries, e => e.EventId == 1606 && e.Message.Contains("c1", StringComparison.Ordinal));
    }

    [Fact]
    public void Reconcile_ApiBackends_SurviveUntouched()
    {
        var registry = _sandbox.Open();
        registry.Reconcile([_sandbox.Backends.Next("c1")]);
        var api = _sandbox.Backends.Next("api-1");
        Assert.Null(registry.Add(api));
        Assert.True(registry.SetEnabled("api-1", enabled: false));
        var before = registry.Live.Single(b => b.Settings.Id == "api-1");
        registry = _sandbox.Restart(registry);
        _sandbox.Time.Advance(TimeSpan.FromDays(1));

        var live = registry.Reconcile([_sandbox.Backends.Next("c2")]);

        var after = live.Single(b => b.Settings.Id == "api-1");
        Assert.Equal(BackendOrigin.Api, after.Origin);
        Assert.False(after.Enabled);
        Assert.Equal(before.UpdatedAt, after.UpdatedAt);
        BackendFaker.AssertSame(api, after.Settings);
        Assert.Equal(["api-1", "c2"], live.Select(b => b.Settings.Id));
    }

    [Fact]
    public void Reconcile_Changes_LoggedWithCountsAndIds()
    {
        var registry = _sandbox.Open();
        registry.Reconcile([_sandbox.Backends.Next("gone"), _sandbox.Backends.Next("tomb"), _sandbox.Backends.Next("same"), _sandbox.Backends.Next("edit")]);
        Assert.True(registry.Delete("tomb"));
        var same = registry.Live.Single(b => b.Settings.Id == "same").Settings;
        var edit = registry.Live.Single(b => b.Settings.Id == "edit").Settings;
        registry = _sandbox.Restart(registry);

        registry.Reconcile([_sandbox.Backends.Next("new"), _sandbox.Backends.Next("tomb"), same, _sandbox.Backends.Changed(edit)]);

        var last = _sandbox.Logger.Entries.SkipWhile(e => e.EventId != 1601 || !e.Message.Contains("with 4 stored", StringComparison.Ordinal)).ToList();
        Assert.All(last, e => Assert.Equal(LogLevel.Information, e.Level));
        Assert.Contains(last, e => e.EventId == 1602 && e.Message == "Backends reconciled with the configuration: 1 added, 1 updated, 1 removed, 1 kept deleted.");
        Assert.Contains(last, e => e.EventId == 1603 && e.Message.Contains("new", StringComparison.Ordinal));
        Assert.Contains(last, e => e.EventId == 1604 && e.Message.Contains("edit", StringComparison.Ordinal));
        Assert.Contains(last, e => e.EventId == 1606 && e.Message.Contains("gone", StringComparison.Ordinal));
        Assert.Contains(last, e => e.EventId == 1607 && e.Message.Contains("tomb", StringComparison.Ordinal));
        Assert.DoesNotContain(last, e => e.Message.Contains("same", StringComparison.Ordinal));
    }

    [Fact]
    public void Reconcile_ConfigUrlEqualToApiBackend_WarnsButKeepsBoth()
    {
        var registry = _sandbox.Open();
        var api = _sandbox.Backends.Next("api-1");
        Assert.Null(registry.Add(api));
        var configured = _sandbox.Backends.Next("c1") with { Url = new Uri(api.Url.OriginalString.ToUpperInvariant() + "/") };

        var live = registry.Reconcile([configured]);

        Assert.Equal(2, live.Count);
        Assert.Contains(_sandbox.Logger.Entries, e => e.EventId == 1608 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public void Reconcile_SameIdTwice_Throws()
    {
        var registry = _sandbox.Open();

        Assert.Throws<ArgumentException>(() => registry.Reconcile([_sandbox.Backends.Next("dup"), _sandbox.Backends.Next("dup")]));
        Assert.Empty(registry.Live);
    }

    [Fact]
    public void Reconcile_DefaultSettingsFromLoader_RoundTrip()
    {
        var defaults = new BackendSettings { Url = new Uri("ws://localhost:9090"), Id = "localhost-9090" };
        var registry = _sandbox.Open();
        registry.Reconcile([defaults]);
        registry = _sandbox.Restart(registry);

        BackendFaker.AssertSame(defaults, Assert.Single(registry.Live).Settings);
        registry.Reconcile([defaults]);
        Assert.Equal(
            ["1 added, 0 updated", "0 added, 0 updated"],
            _sandbox.Logger.Entries.Where(e => e.EventId == 1602).Select(e => e.Message.Split(": ")[1][..18]));
    }
}

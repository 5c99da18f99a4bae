using System.Globalization;
using Bogus;

namespace WsBalancer.IntegrationTests.Persistence;

/// <summary>
/// The seeding rules of <c>BackendRegistry.Reconcile</c>, end to end: the YAML file is the truth for the backends it
/// names, API-added backends survive it, and a configured backend deleted through the API stays deleted only while
/// the file still names it.
/// </summary>
public sealed class ReconcileTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task Restart_ConfigChangesBackendSettings_NewValuesWinAndEnabledSwitchIsKept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url) { PingTime = "20s", BreakerThreshold = 5 }, new ConfiguredBackend("b2", b2.Url));
        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.PostSuccessAsync("/backend/disable/b1", null, ct);
        }

        var pingTime = _faker.Random.Int(21, 59).ToString(CultureInfo.InvariantCulture) + "s";
        var threshold = _faker.Random.Int(11, 99);
        sandbox.WriteConfig(
            new ConfiguredBackend("b1", b1.Url) { PingTime = pingTime, BreakerThreshold = threshold, HandshakeTimeout = "3s" },
            new ConfiguredBackend("b2", b2.Url));

        await using var second = await sandbox.StartAsync(ct);

        var config = await second.ConfigAsync("b1", ct);
        Assert.Equal(pingTime, config.GetProperty("ping-time").GetString());
        Assert.Equal(threshold, config.GetProperty("breaker-threshold").GetInt32());
        Assert.Equal("3s", config.GetProperty("handshake-timeout").GetString());
        Assert.Equal([false, true], (await second.ListAsync(ct)).Select(backend => backend.Enabled));
    }

    [Fact]
    public async Task Restart_ConfigStopsNamingBackend_RemovesItAddsNewOneAndKeepsApiBackend()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        await using var b3 = await TestBackend.StartAsync("b3", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.AddAsync("b2", b2.Url, ct, pingTime: "45s");
        }

        sandbox.WriteConfig(new ConfiguredBackend("b3", b3.Url));

        await using var second = await sandbox.StartAsync(ct);

        Assert.Equal(["b2", "b3"], await second.IdsAsync(ct));
        Assert.Equal("45s", (await second.ConfigAsync("b2", ct)).GetProperty("ping-time").GetString());
        await RestartTests.AssertRoundRobinAsync(second, [b2, b3], ct);
        Assert.Empty(b1.Connections);
    }

    [Fact]
    public async Task Restart_ConfigBackendDeletedThroughApi_StaysDeletedUntilConfigStopsNamingIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        ConfiguredBackend[] withB1 = [new("b1", b1.Url), new("b2", b2.Url)];
        sandbox.WriteConfig(withB1);
        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.PostSuccessAsync("/backend/delete/b1", null, ct);
        }

        // The same file still names b1: the tombstone keeps it deleted.
        await using (var second = await sandbox.StartAsync(ct))
        {
            Assert.Equal(["b2"], await second.IdsAsync(ct));
            await second.ServeSessionsAsync(2, ct);
            Assert.Empty(b1.Connections);
        }

        // The file no longer names b1: the tombstone is dropped.
        sandbox.WriteConfig(new ConfiguredBackend("b2", b2.Url));
        await using (var third = await sandbox.StartAsync(ct))
        {
            Assert.Equal(["b2"], await third.IdsAsync(ct));
        }

        // Named again, b1 starts afresh: present and enabled.
        sandbox.WriteConfig(withB1);
        await using var fourth = await sandbox.StartAsync(ct);
        Assert.Equal(
            [new ListedBackend("b2", b2.Url.OriginalString, true), new ListedBackend("b1", b1.Url.OriginalString, true)],
            await fourth.ListAsync(ct));
        await RestartTests.AssertRoundRobinAsync(fourth, [b1, b2], ct);
    }

    [Fact]
    public async Task Restart_ConfigNamesApiAddedId_ConfigTakesItOverAndLaterRemovesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.AddAsync("b2", b2.Url, ct, pingTime: "45s");
            await first.PostSuccessAsync("/backend/disable/b2", null, ct);
        }

        // The file now names b2 with its own settings: they win, the enabled switch set through the API is kept.
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url), new ConfiguredBackend("b2", b2.Url) { PingTime = "15s" });
        await using (var second = await sandbox.StartAsync(ct))
        {
            Assert.Equal("15s", (await second.ConfigAsync("b2", ct)).GetProperty("ping-time").GetString());
            Assert.Equal([true, false], (await second.ListAsync(ct)).Select(backend => backend.Enabled));
        }

        // b2 is the configuration's now: a file that stops naming it removes it.
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        await using var third = await sandbox.StartAsync(ct);
        Assert.Equal(["b1"], await third.IdsAsync(ct));
    }

    [Fact]
    public async Task Restart_DeletedConfigBackendReAddedThroughApi_ComesBackWithTheConfigSettings()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url) { PingTime = "25s" }, new ConfiguredBackend("b2", b2.Url));
        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.PostSuccessAsync("/backend/delete/b1", null, ct);

            // The tombstone does not hold the id: the API may use it again.
            await first.AddAsync("b1", b1.Url, ct, pingTime: "50s");
            Assert.Equal("50s", (await first.ConfigAsync("b1", ct)).GetProperty("ping-time").GetString());
        }

        await using var second = await sandbox.StartAsync(ct);

        Assert.Equal(["b1", "b2"], (await second.IdsAsync(ct)).Order(StringComparer.Ordinal));
        Assert.Equal("25s", (await second.ConfigAsync("b1", ct)).GetProperty("ping-time").GetString());
    }
}

using System.Globalization;
using Bogus;

namespace WsBalancer.IntegrationTests.Persistence;

/// <summary>
/// What the admin API changes survives a restart of the real executable on the same data directory: after a crash
/// (the process killed) and after a graceful stop (SIGTERM).
/// </summary>
public sealed class RestartTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task Restart_AfterKill_KeepsApiAddedBackendWithItsSettings()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        var pingTime = RandomSeconds();

        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.AddAsync("b2", b2.Url, ct, pingTime);
        }

        await using var second = await sandbox.StartAsync(ct);

        Assert.Equal(["b1", "b2"], await second.IdsAsync(ct));
        var config = await second.ConfigAsync("b2", ct);
        Assert.Equal(pingTime, config.GetProperty("ping-time").GetString());
        Assert.Equal(b2.Url.OriginalString, config.GetProperty("url").GetString());
        await AssertRoundRobinAsync(second, [b1, b2], ct);
    }

    [Fact]
    public async Task Restart_AfterSigterm_ExitsZeroAndKeepsApiAddedBackend()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        var pingTime = RandomSeconds();

        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.AddAsync("b2", b2.Url, ct, pingTime);
            Assert.Equal(0, await first.TerminateAsync(sandbox.DataDirectory, ct));
            Assert.Empty(first.Process.StandardError);
        }

        await using var second = await sandbox.StartAsync(ct);

        Assert.Equal(["b1", "b2"], await second.IdsAsync(ct));
        Assert.Equal(pingTime, (await second.ConfigAsync("b2", ct)).GetProperty("ping-time").GetString());
        await AssertRoundRobinAsync(second, [b1, b2], ct);
    }

    [Fact]
    public async Task Restart_BackendsDisabledThroughApi_StayDisabledAndGetNoSessions()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        await using var b3 = await TestBackend.StartAsync("b3", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url), new ConfiguredBackend("b2", b2.Url));

        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.AddAsync("b3", b3.Url, ct);
            await first.PostSuccessAsync("/backend/disable/b1", null, ct); // config origin
            await first.PostSuccessAsync("/backend/disable/b3", null, ct); // API origin
        }

        await using (var second = await sandbox.StartAsync(ct))
        {
            Assert.Equal(
                [new ListedBackend("b1", b1.Url.OriginalString, false), new ListedBackend("b2", b2.Url.OriginalString, true), new ListedBackend("b3", b3.Url.OriginalString, false)],
                await second.ListAsync(ct));
            await second.ServeSessionsAsync(3, ct);
            Assert.Empty(b1.Connections);
            Assert.Equal(3, b2.Connections.Count);
            Assert.Empty(b3.Connections);

            await second.PostSuccessAsync("/backend/enable/b1", null, ct);
        }

        // Enabling is state too: it survives as disabling did.
        await using var third = await sandbox.StartAsync(ct);
        Assert.Equal([true, true, false], (await third.ListAsync(ct)).Select(backend => backend.Enabled));
        await AssertRoundRobinAsync(third, [b1, b2], ct);
        Assert.Empty(b3.Connections);
    }

    [Fact]
    public async Task Restart_DataDirEnvironmentVariable_PersistsLikeTheFlag()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();

        // Backends from the ancestor's variables rather than the YAML file: the environment is configuration too.
        sandbox.WriteConfig();
        var environment = new Dictionary<string, string>
        {
            ["DATA_DIR"] = sandbox.DataDirectory,
            ["BE_URLS"] = b1.Url.OriginalString,
            ["BE_URL_IDS"] = "b1",
        };

        await using (var first = await sandbox.StartAsync(ct, dataDirectory: "", environment))
        {
            await first.AddAsync("b2", b2.Url, ct);
            await first.PostSuccessAsync("/backend/disable/b1", null, ct);
        }

        Assert.True(File.Exists(sandbox.DatabasePath), $"no {sandbox.DatabasePath}");
        await using var second = await sandbox.StartAsync(ct, dataDirectory: "", environment);
        Assert.Equal(
            [new ListedBackend("b1", b1.Url.OriginalString, false), new ListedBackend("b2", b2.Url.OriginalString, true)],
            await second.ListAsync(ct));
    }

    [Fact]
    public async Task Start_DataDirFlagAndEnvironmentVariable_FlagWins()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        var fromEnvironment = Path.Combine(sandbox.Root, "from-env");

        await using (var balancer = await sandbox.StartAsync(ct, environment: new Dictionary<string, string> { ["DATA_DIR"] = fromEnvironment }))
        {
            Assert.Equal(["b1"], await balancer.IdsAsync(ct));
        }

        Assert.True(File.Exists(sandbox.DatabasePath), $"no {sandbox.DatabasePath}");
        Assert.False(Directory.Exists(fromEnvironment), $"{fromEnvironment} was created although --data-dir names another directory");
    }

    /// <summary>
    /// Sequential sessions over the enabled <paramref name="backends"/>: round robin gives each the same number. Counts
    /// only connections made from here on, so backends may have served earlier runs of the balancer.
    /// </summary>
    internal static async Task AssertRoundRobinAsync(RunningBalancer balancer, IReadOnlyList<TestBackend> backends, CancellationToken cancellationToken)
    {
        var before = backends.Select(backend => backend.Connections.Count).ToArray();
        const int rounds = 2;

        await balancer.ServeSessionsAsync(rounds * backends.Count, cancellationToken);

        Assert.Equal(
            backends.Select(backend => (backend.Name, rounds)),
            backends.Select((backend, i) => (backend.Name, backend.Connections.Count - before[i])));
    }

    // Not the 10m default, so a backend that lost its settings shows it; Go formats whole seconds under a minute as "Ns".
    private string RandomSeconds() => _faker.Random.Int(11, 59).ToString(CultureInfo.InvariantCulture) + "s";
}

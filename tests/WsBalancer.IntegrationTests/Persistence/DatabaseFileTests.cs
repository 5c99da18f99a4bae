using System.Net.Http.Json;
using System.Text.Json;
using Bogus;
using WsBalancer.IntegrationTests.Process;

namespace WsBalancer.IntegrationTests.Persistence;

/// <summary>
/// The database file is never harmed: a corrupt file or one another balancer holds stops the start with exit code 2
/// and one line naming the file; <c>:memory:</c> writes nothing at all.
/// </summary>
public sealed class DatabaseFileTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task Start_RandomBytesAsDatabase_ExitsWithCode2AndLeavesFileUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        Directory.CreateDirectory(sandbox.DataDirectory);
        await File.WriteAllBytesAsync(sandbox.DatabasePath, _faker.Random.Bytes(20 * 1024), ct);
        var hash = PersistenceSandbox.Sha256(sandbox.DatabasePath);

        await using var balancer = sandbox.Start();

        Assert.Equal(2, await WaitForRefusalAsync(balancer, ct));
        Assert.Contains(sandbox.DatabasePath, Assert.Single(balancer.StandardError), StringComparison.Ordinal);
        Assert.DoesNotContain(balancer.StandardOutput, line => line.Contains("listening", StringComparison.Ordinal));
        Assert.Equal(hash, PersistenceSandbox.Sha256(sandbox.DatabasePath));
        Assert.Empty(b1.Connections);
    }

    [Fact]
    public async Task Start_DatabaseDamagedAfterItsHeader_ExitsWithCode2AndLeavesFileUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.AddAsync("b2", b2.Url, ct);
            Assert.Equal(0, await first.TerminateAsync(sandbox.DataDirectory, ct));
        }

        // A real LiteDB header (so the file passes the header check), garbage in every page after it.
        const int pageSize = 8192;
        var bytes = await File.ReadAllBytesAsync(sandbox.DatabasePath, ct);
        Assert.True(bytes.Length > pageSize, $"{sandbox.DatabasePath} is {bytes.Length} bytes: no page after the header");
        new Faker { Random = new Randomizer(20240601) }.Random.Bytes(bytes.Length - pageSize).CopyTo(bytes, pageSize);
        await File.WriteAllBytesAsync(sandbox.DatabasePath, bytes, ct);
        var hash = PersistenceSandbox.Sha256(sandbox.DatabasePath);

        await using var second = sandbox.Start();

        Assert.Equal(2, await WaitForRefusalAsync(second, ct));
        Assert.Contains(sandbox.DatabasePath, Assert.Single(second.StandardError), StringComparison.Ordinal);
        Assert.Equal(hash, PersistenceSandbox.Sha256(sandbox.DatabasePath));
    }

    [Fact]
    public async Task Start_LogFileDamagedAfterCrash_ExitsWithCode2AndLeavesFilesUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        await using (var first = await sandbox.StartAsync(ct))
        {
            await first.AddAsync("b2", b2.Url, ct);
        }

        // Killed, the balancer never checkpointed: what it stored lives in LiteDB's write-ahead log next to the file.
        var logPath = Path.Combine(sandbox.DataDirectory, "wsbalancer-log.db");
        Assert.True(File.Exists(logPath), $"no {logPath} after a kill: {string.Join(", ", Directory.GetFiles(sandbox.DataDirectory).Select(Path.GetFileName))}");
        var length = (int)new FileInfo(logPath).Length;
        await File.WriteAllBytesAsync(logPath, new Faker { Random = new Randomizer(20240602) }.Random.Bytes(length), ct);
        var databaseHash = PersistenceSandbox.Sha256(sandbox.DatabasePath);
        var logHash = PersistenceSandbox.Sha256(logPath);

        await using var second = sandbox.Start();

        Assert.Equal(2, await WaitForRefusalAsync(second, ct));
        Assert.Contains(sandbox.DataDirectory, Assert.Single(second.StandardError), StringComparison.Ordinal);
        Assert.Equal(databaseHash, PersistenceSandbox.Sha256(sandbox.DatabasePath));
        Assert.Equal(logHash, PersistenceSandbox.Sha256(logPath));
    }

    [Fact]
    public async Task Start_DatabaseInUseByAnotherBalancer_ExitsWithCode2AndFirstKeepsServing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        await using var first = await sandbox.StartAsync(ct);
        using var client = await first.ConnectAsync(ct);

        await using var second = sandbox.Start();

        Assert.Equal(2, await WaitForRefusalAsync(second, ct));
        var line = Assert.Single(second.StandardError);
        Assert.Contains(sandbox.DatabasePath, line, StringComparison.Ordinal);
        Assert.True(line.Contains("locked", StringComparison.OrdinalIgnoreCase) || line.Contains("in use", StringComparison.OrdinalIgnoreCase), line);

        // The first balancer's live session, new sessions and stored changes are untouched.
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await first.ServeSessionsAsync(1, ct);
        await first.AddAsync("b2", b2.Url, ct);
        await first.DisposeAsync();
        await using var third = await sandbox.StartAsync(ct);
        Assert.Equal(["b1", "b2"], await third.IdsAsync(ct));
    }

    [Fact]
    public async Task Start_InMemoryDataDirectory_WritesNothingAndForgetsOnRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        using var sandbox = new PersistenceSandbox();
        sandbox.WriteConfig(new ConfiguredBackend("b1", b1.Url));
        const string inMemory = ":memory:";

        await using (var first = await sandbox.StartAsync(ct, dataDirectory: inMemory))
        {
            await first.AddAsync("b2", b2.Url, ct);
            await RestartTests.AssertRoundRobinAsync(first, [b1, b2], ct);
        }

        await using var second = await sandbox.StartAsync(ct, dataDirectory: inMemory);

        Assert.Equal(["b1"], await second.IdsAsync(ct));
        Assert.Equal([sandbox.ConfigPath], Directory.GetFileSystemEntries(sandbox.Root));

        // Not taken as a relative directory name under the working directory (the test output directory).
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, inMemory)));
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, inMemory)));
    }

    /// <summary>
    /// Waits for a balancer that must refuse to start and returns its exit code. One that listens instead fails the test at
    /// once, with what it serves, rather than after the exit timeout.
    /// </summary>
    private static async Task<int> WaitForRefusalAsync(HostProcess balancer, CancellationToken cancellationToken)
    {
        Uri admin;
        try
        {
            (_, admin) = await balancer.WaitForListeningAsync(cancellationToken);
        }
        catch (InvalidOperationException)
        {
            return await balancer.WaitForExitAsync(cancellationToken); // exited before it listened
        }

        using var http = new HttpClient { BaseAddress = admin, Timeout = Timeouts.Default };
        var backends = await http.GetFromJsonAsync<JsonElement>("/backend/list", cancellationToken);
        Assert.Fail($"the balancer started instead of refusing to; it serves /backend/list = {backends.GetRawText()}");
        return -1;
    }
}

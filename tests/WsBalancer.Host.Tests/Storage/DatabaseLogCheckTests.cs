using Bogus;
using WsBalancer.Host.Storage;

namespace WsBalancer.Host.Tests.Storage;

public sealed class DatabaseLogCheckTests : IDisposable
{
    private readonly StorageSandbox _sandbox = new(seed: 4242);

    private string LogPath => Path.Combine(_sandbox.DataDirectory, "wsbalancer-log.db");

    [Fact]
    public void LogProblem_LogOfALiveRegistry_IsAccepted()
    {
        var registry = _sandbox.Open();
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(registry.Add(_sandbox.Backends.Next()));
        }

        // Copied while the registry holds it open: the log a crash would leave behind.
        var copy = Path.Combine(_sandbox.Root, "copy-log.db");
        using (var source = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var target = File.Create(copy))
        {
            source.CopyTo(target);
        }

        Assert.True(new FileInfo(copy).Length > 0);
        Assert.Null(DatabaseFileCheck.LogProblem(copy, new FileInfo(_sandbox.DatabasePath).Length));
    }

    [Fact]
    public void Open_DamagedLog_ThrowsNamingTheLogAndChangesNothing()
    {
        var registry = _sandbox.Open();
        Assert.Null(registry.Add(_sandbox.Backends.Next()));
        registry.Dispose();
        Directory.CreateDirectory(_sandbox.DataDirectory);
        File.WriteAllBytes(LogPath, new Randomizer(7).Bytes(6 * DatabaseFileCheck.PageSize));
        var before = (StorageSandbox.Sha256(_sandbox.DatabasePath), StorageSandbox.Sha256(LogPath));

        var error = _sandbox.OpenFails();

        Assert.Contains(LogPath, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, (StorageSandbox.Sha256(_sandbox.DatabasePath), StorageSandbox.Sha256(LogPath)));
    }

    public void Dispose() => _sandbox.Dispose();
}

using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Storage;

namespace WsBalancer.Host.Tests.Storage;

/// <summary>A temporary directory for one test's database files, and registries opened on it that are closed at the end.</summary>
internal sealed class StorageSandbox : IDisposable
{
    private readonly List<BackendRegistry> _opened = [];

    public StorageSandbox(int seed)
    {
        Root = Directory.CreateTempSubdirectory("wsb-storage-tests-").FullName;
        Backends = new BackendFaker(seed);
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public string DatabasePath => Path.Combine(DataDirectory, BackendDatabase.FileName);

    public string LockPath => DatabasePath + DatabaseFileLock.Suffix;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero));

    public ListLogger<BackendRegistry> Logger { get; } = new();

    public BackendFaker Backends { get; }

    public BackendRegistry Open(string? dataDirectory = null)
    {
        var registry = BackendRegistry.Open(dataDirectory ?? DataDirectory, Time, Logger);
        _opened.Add(registry);
        return registry;
    }

    /// <summary>Closes <paramref name="registry"/> and opens the same directory again, as a restart does.</summary>
    public BackendRegistry Restart(BackendRegistry registry)
    {
        registry.Dispose();
        return Open();
    }

    public StorageException OpenFails(string? dataDirectory = null) => Assert.Throws<StorageException>(() => Open(dataDirectory));

    public static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    public void Dispose()
    {
        foreach (var registry in _opened)
        {
            registry.Dispose();
        }

        Directory.Delete(Root, recursive: true);
    }
}

using System.Globalization;
using System.Text;

namespace WsBalancer.Host.Storage;

/// <summary>
/// Keeps <c>wsbalancer.db.lock</c> open with <see cref="FileShare.None"/> for as long as a registry uses the database, so
/// that a second registry, in this process or another, is refused instead of writing the same file.
/// </summary>
/// <remarks>
/// LiteDB's direct mode does not give this guarantee on Linux: it opens the data file with <see cref="FileShare.Read"/>,
/// which .NET maps to a shared <c>flock</c>, so two writers both get in (seen with LiteDB 5.0.21, in one process and in
/// two). <see cref="FileShare.None"/> maps to an exclusive <c>flock</c>, which conflicts per open file, hence across
/// processes and within one. The lock is advisory: DOTNET_SYSTEM_IO_DISABLEFILELOCKING=1 turns it off.
/// </remarks>
internal sealed class DatabaseFileLock : IDisposable
{
    public const string Suffix = ".lock";

    // EWOULDBLOCK (11) from flock on Linux; ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION on Windows.
    private static readonly int[] LockedResults = [11, unchecked((int)0x80070020), unchecked((int)0x80070021)];

    private readonly FileStream _stream;

    private DatabaseFileLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    /// <exception cref="StorageException">Another registry holds the lock, or the lock file cannot be created.</exception>
    public static DatabaseFileLock Acquire(string databasePath)
    {
        var path = databasePath + Suffix;
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (IOException ex) when (LockedResults.Contains(ex.HResult))
        {
            throw new StorageException(
                $"backend database '{databasePath}' is locked: it is in use by another balancer process or registry (lock file '{path}'); stop that one or choose another data directory",
                ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"backend database '{databasePath}' cannot be locked: lock file '{path}': {ex.Message}", ex);
        }

        // For a human wondering who holds the lock; the lock itself is the open handle, not this text.
        try
        {
            stream.SetLength(0);
            stream.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush();
        }
        catch (IOException)
        {
            // A full disk must not stop the balancer here; LiteDB will report it on the first write.
        }

        return new DatabaseFileLock(stream, path);
    }

    // The file is left in place: deleting it would let a process that opened it just before the delete lock an
    // unlinked file while a third one creates and locks a new one.
    public void Dispose() => _stream.Dispose();
}

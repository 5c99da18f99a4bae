using System.Globalization;
using LiteDB;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Storage;

/// <summary>
/// The LiteDB file behind the <see cref="BackendRegistry"/>: opening it safely, reading every definition, writing
/// changes in one transaction. Not thread-safe: the registry serializes every call.
/// </summary>
internal sealed class BackendDatabase : IDisposable
{
    public const string FileName = "wsbalancer.db";
    public const string CollectionName = "backends";

    // Ids are compared ordinally everywhere else; LiteDB's default collation would make "B1" and "b1" one _id.
    private static readonly Collation OrdinalCollation = new(CultureInfo.InvariantCulture.LCID, CompareOptions.Ordinal);

    private readonly LiteDatabase _database;
    private readonly ILiteCollection<BsonDocument> _backends;
    private readonly DatabaseFileLock? _fileLock;

    private BackendDatabase(LiteDatabase database, DatabaseFileLock? fileLock, string filePath)
    {
        _database = database;
        _backends = database.GetCollection(CollectionName);
        _fileLock = fileLock;
        FilePath = filePath;
    }

    /// <summary><see cref="ServerSettings.InMemoryDataDirectory"/>, or the full path of the database file.</summary>
    public string FilePath { get; }

    /// <param name="dataDirectory">A directory (created if missing) or <see cref="ServerSettings.InMemoryDataDirectory"/>.</param>
    /// <exception cref="StorageException">The directory or file cannot be used; nothing existing was changed.</exception>
    public static BackendDatabase Open(string dataDirectory)
    {
        if (dataDirectory == ServerSettings.InMemoryDataDirectory)
        {
            return new BackendDatabase(Connect(ServerSettings.InMemoryDataDirectory, readOnly: false), null, ServerSettings.InMemoryDataDirectory);
        }

        var directory = Path.GetFullPath(dataDirectory);
        CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (Directory.Exists(path))
        {
            throw new StorageException($"backend database '{path}' is a directory, not a file; move it away or choose another data directory");
        }

        // Locked first, so that a second balancer is told "in use" rather than anything its own checks might say.
        var fileLock = DatabaseFileLock.Acquire(path);
        try
        {
            if (DatabaseFileCheck.Problem(path) is { } problem)
            {
                throw NotValid(path, problem, null);
            }

            // LiteDB names its write-ahead log after the data file: wsbalancer.db -> wsbalancer-log.db.
            var logPath = Path.Combine(directory, Path.GetFileNameWithoutExtension(FileName) + "-log" + Path.GetExtension(FileName));
            var dataLength = File.Exists(path) ? new FileInfo(path).Length : 0;
            if (DatabaseFileCheck.LogProblem(logPath, dataLength) is { } logProblem)
            {
                throw NotValid(logPath, logProblem, null);
            }

            Verify(path);
            return new BackendDatabase(Connect(path, readOnly: false), fileLock, path);
        }
        catch (Exception ex) when (ex is not StorageException)
        {
            fileLock.Dispose();
            throw Unusable(path, ex);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>Every stored definition, tombstones included, in insertion order.</summary>
    /// <exception cref="StorageException">A document cannot be read.</exception>
    public List<BackendDefinition> LoadAll()
    {
        try
        {
            return [.. _backends.FindAll().Select(BackendDefinitionMapper.FromDocument).OrderBy(definition => definition.Order)];
        }
        catch (Exception ex) when (ex is not StorageException)
        {
            throw Unusable(FilePath, ex);
        }
    }

    /// <summary>Upserts and deletes in one transaction: all of them are stored, or none.</summary>
    /// <exception cref="StorageException">The file cannot be written.</exception>
    public void Write(IReadOnlyList<BackendDefinition> upserts, IReadOnlyList<string> deletes)
    {
        _database.BeginTrans();
        try
        {
            foreach (var definition in upserts)
            {
                _backends.Upsert(BackendDefinitionMapper.ToDocument(definition));
            }

            foreach (var id in deletes)
            {
                _backends.Delete(id);
            }

            _database.Commit();
        }
        catch (Exception ex) when (ex is LiteException or IOException or UnauthorizedAccessException)
        {
            try
            {
                _database.Rollback();
            }
            catch (LiteException)
            {
                // LiteDB closes its engine after an I/O error; a closed engine has nothing left to roll back.
            }

            throw new StorageException($"backend database '{FilePath}' could not be written: {ex.Message}", ex);
        }
    }

    public void Dispose()
    {
        _database.Dispose();
        _fileLock?.Dispose();
    }

    private static void CreateDirectory(string directory)
    {
        if (File.Exists(directory))
        {
            throw new StorageException($"data directory '{directory}' is a file, not a directory; set server.data-dir (DATA_DIR, --data-dir) to a directory");
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"data directory '{directory}' cannot be created: {ex.Message}", ex);
        }
    }

    // Reads every document through a read-only connection first. A read-write connection that meets a damaged page
    // writes LiteDB's "invalid datafile state" flag into the header as it closes (seen: one byte changed); a read-only
    // one cannot write, so a damaged file is reported exactly as it was found.
    private static void Verify(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            return;
        }

        using var database = Connect(path, readOnly: true);
        foreach (var document in database.GetCollection(CollectionName).FindAll())
        {
            BackendDefinitionMapper.FromDocument(document);
        }
    }

    private static LiteDatabase Connect(string filename, bool readOnly) => new(new ConnectionString
    {
        Filename = filename,

        // Direct: this process owns the file and no named mutex is involved; DatabaseFileLock keeps other writers out.
        Connection = ConnectionType.Direct,
        ReadOnly = readOnly,
        Collation = OrdinalCollation,

        // Never let LiteDB rebuild or upgrade a file on its own: a damaged or old file is the operator's to decide on.
        AutoRebuild = false,
        Upgrade = false,
    });

    private static StorageException Unusable(string path, Exception ex) => ex switch
    {
        UnauthorizedAccessException => new StorageException($"backend database '{path}' cannot be read: {ex.Message}", ex),
        IOException => new StorageException($"backend database '{path}' cannot be opened: {ex.Message}", ex),

        // A damaged file surfaces as almost any exception type from LiteDB's page readers, not only LiteException.
        _ => NotValid(path, ex.Message, ex),
    };

    private static StorageException NotValid(string path, string detail, Exception? inner) =>
        new($"backend database '{path}' is not a valid LiteDB database or is corrupt ({OneLine(detail)}); WsBalancer does not repair or replace it: restore a backup or move it away", inner);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}

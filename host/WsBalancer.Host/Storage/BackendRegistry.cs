using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Storage;

/// <summary>
/// The persistent list of backends: those the configuration names and those added through the admin API, with the
/// enabled switch and deletions made through the API, in <c>wsbalancer.db</c> under the data directory.
/// </summary>
/// <remarks>
/// Writers are serialized by one lock and each change is stored before it is published; <see cref="Live"/> is an
/// immutable snapshot read without locks. LiteDB's API is synchronous, so callers keep it off the data plane.
/// </remarks>
internal sealed class BackendRegistry : IBackendStore, IDisposable
{
    private readonly BackendDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<BackendRegistry> _logger;
    private readonly Lock _writeLock = new();

    // Every stored definition, tombstones included; guarded by _writeLock.
    private readonly Dictionary<string, BackendDefinition> _definitions = new(StringComparer.Ordinal);
    private long _lastOrder;
    private bool _disposed;

    // A boxed ImmutableArray, so that a reader cannot cast it back to an array and change it.
    private IReadOnlyList<BackendRecord> _live = ImmutableArray<BackendRecord>.Empty;

    private BackendRegistry(BackendDatabase database, List<BackendDefinition> stored, TimeProvider time, ILogger<BackendRegistry> logger)
    {
        _database = database;
        _time = time;
        _logger = logger;
        foreach (var definition in stored)
        {
            _definitions[definition.Id] = definition;
            _lastOrder = Math.Max(_lastOrder, definition.Order);
        }

        Publish();
    }

    /// <summary>The live (not deleted) backends in insertion order.</summary>
    public IReadOnlyList<BackendRecord> Live => Volatile.Read(ref _live);

    /// <summary><c>:memory:</c>, or the full path of the database file.</summary>
    public string FilePath => _database.FilePath;

    /// <summary>Opens (or creates) the registry's database and loads every definition.</summary>
    /// <param name="dataDirectory">
    /// A directory, created if missing, holding <c>wsbalancer.db</c>; or <c>:memory:</c> for a database that ends with
    /// the registry.
    /// </param>
    /// <exception cref="StorageException">
    /// The file is in use by another registry (in this process or another), cannot be read, is not a LiteDB file or is
    /// corrupt, or the data directory cannot be used. The message is one line naming the path. An existing file is
    /// never deleted, rebuilt or replaced.
    /// </exception>
    public static BackendRegistry Open(string dataDirectory, TimeProvider time, ILogger<BackendRegistry> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);

        var database = BackendDatabase.Open(dataDirectory);
        try
        {
            var stored = database.LoadAll();
            var registry = new BackendRegistry(database, stored, time, logger);
            StorageLog.Opened(logger, database.FilePath, stored.Count);
            return registry;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>Brings the stored backends in line with the configuration at startup, and returns <see cref="Live"/>.</summary>
    /// <remarks>
    /// The seeding rules, matching backends by id:
    /// <list type="bullet">
    /// <item>The configuration (file and environment) is the truth for the backends it names. Each is added (origin
    /// Config, enabled) if missing, or its settings are updated when they changed. Its enabled switch is kept: state
    /// set through the admin API survives restarts.</item>
    /// <item>An API-added backend with the id of a configured one is taken over by the configuration: its origin becomes
    /// Config and its settings come from the configuration; its enabled switch is kept.</item>
    /// <item>A configured backend deleted through the admin API stays deleted while the configuration still names it.</item>
    /// <item>A Config-origin backend, live or deleted, that the configuration no longer names is removed entirely, so
    /// whoever edits the YAML file and restarts gets exactly that file; re-adding it later starts it afresh, enabled.</item>
    /// <item>Backends added through the admin API survive restarts untouched.</item>
    /// </list>
    /// All changes are stored in one transaction. URLs are not checked for uniqueness here (the configuration loader
    /// already refuses duplicates among configured backends); a configured URL equal to an API backend's is logged as a
    /// warning.
    /// </remarks>
    /// <param name="configured">The backends named by the configuration, with distinct ids.</param>
    /// <exception cref="StorageException">The changes cannot be stored; none were.</exception>
    public IReadOnlyList<BackendRecord> Reconcile(IReadOnlyList<BackendSettings> configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var changes = new List<(string Id, Change Change)>();
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            var order = _lastOrder;
            var named = new HashSet<string>(StringComparer.Ordinal);
            var upserts = new List<BackendDefinition>();
            var deletes = new List<string>();
            foreach (var settings in configured)
            {
                if (!named.Add(settings.Id))
                {
                    throw new ArgumentException($"backend id '{settings.Id}' is configured twice", nameof(configured));
                }

                if (!_definitions.TryGetValue(settings.Id, out var stored))
                {
                    upserts.Add(BackendDefinitionMapper.FromSettings(settings, enabled: true, BackendOrigin.Config, ++order, now));
                    changes.Add((settings.Id, Change.Added));
                }
                else if (stored.Deleted)
                {
                    changes.Add((settings.Id, Change.KeptDeleted));
                }
                else
                {
                    var desired = BackendDefinitionMapper.FromSettings(settings, stored.Enabled, BackendOrigin.Config, stored.Order, now);
                    if (stored.Origin != BackendOrigin.Config)
                    {
                        upserts.Add(desired);
                        changes.Add((settings.Id, Change.TakenOver));
                    }
                    else if (!stored.HasSameSettings(desired))
                    {
                        upserts.Add(desired);
                        changes.Add((settings.Id, Change.Updated));
                    }
                }
            }

            foreach (var stored in _definitions.Values.OrderBy(definition => definition.Order))
            {
                if (stored.Origin == BackendOrigin.Config && !named.Contains(stored.Id))
                {
                    deletes.Add(stored.Id);
                    changes.Add((stored.Id, Change.Removed));
                }
            }

            if (upserts.Count > 0 || deletes.Count > 0)
            {
                _database.Write(upserts, deletes);
                foreach (var definition in upserts)
                {
                    _definitions[definition.Id] = definition;
                }

                foreach (var id in deletes)
                {
                    _definitions.Remove(id);
                }

                _lastOrder = order;
                Publish();
            }
        }

        LogReconciled(changes);
        return Live;
    }

    /// <summary>Adds a backend through the admin API: origin Api, enabled.</summary>
    /// <returns>Null on success; else why not: <c>duplicate id 'x'</c> or <c>duplicate url '…'</c>.</returns>
    /// <remarks>
    /// Ids are compared ordinally with live backends; URLs case-insensitively, ignoring a trailing '/'. The id of a
    /// configured backend deleted through the API is free again: adding it replaces the tombstone with an API backend,
    /// which the configuration takes over at the next start while it still names that id.
    /// </remarks>
    /// <exception cref="StorageException">The backend cannot be stored.</exception>
    public string? Add(BackendSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (string.IsNullOrEmpty(settings.Id))
            {
                return "empty id";
            }

            foreach (var existing in _definitions.Values)
            {
                if (existing.Deleted)
                {
                    continue;
                }

                if (existing.Id.Equals(settings.Id, StringComparison.Ordinal))
                {
                    return $"duplicate id '{settings.Id}'";
                }

                if (SameUrl(existing.Url, settings.Url.OriginalString))
                {
                    return $"duplicate url '{settings.Url.OriginalString}'";
                }
            }

            var definition = BackendDefinitionMapper.FromSettings(settings, enabled: true, BackendOrigin.Api, _lastOrder + 1, _time.GetUtcNow());
            _database.Write([definition], []);
            _definitions[definition.Id] = definition;
            _lastOrder = definition.Order;
            Publish();
        }

        StorageLog.ApiAdded(_logger, settings.Id);
        return null;
    }

    /// <summary>Switches a live backend on or off and stores the switch.</summary>
    /// <returns>False when no live backend has <paramref name="id"/>.</returns>
    /// <exception cref="StorageException">The switch cannot be stored.</exception>
    public bool SetEnabled(string id, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_definitions.TryGetValue(id, out var stored) || stored.Deleted)
            {
                return false;
            }

            if (stored.Enabled == enabled)
            {
                return true;
            }

            Store(stored with { Enabled = enabled, UpdatedAt = _time.GetUtcNow() });
        }

        StorageLog.ApiSwitched(_logger, id, enabled ? "enabled" : "disabled");
        return true;
    }

    /// <summary>
    /// Deletes a live backend. A Config-origin one becomes a tombstone that keeps it deleted while the configuration
    /// names it; an Api-origin one is removed.
    /// </summary>
    /// <returns>False when no live backend has <paramref name="id"/> (unknown or already deleted).</returns>
    /// <exception cref="StorageException">The deletion cannot be stored.</exception>
    public bool Delete(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        BackendOrigin origin;
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_definitions.TryGetValue(id, out var stored) || stored.Deleted)
            {
                return false;
            }

            origin = stored.Origin;
            if (origin == BackendOrigin.Config)
            {
                Store(stored with { Deleted = true, UpdatedAt = _time.GetUtcNow() });
            }
            else
            {
                _database.Write([], [id]);
                _definitions.Remove(id);
                Publish();
            }
        }

        StorageLog.ApiDeleted(_logger, id, origin == BackendOrigin.Config ? "kept deleted while the configuration names it" : "removed");
        return true;
    }

    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _database.Dispose();
        }
    }

    private void Store(BackendDefinition definition)
    {
        _database.Write([definition], []);
        _definitions[definition.Id] = definition;
        Publish();
    }

    // Called under _writeLock (or from the constructor), after the change is stored.
    private void Publish()
    {
        IReadOnlyList<BackendRecord> live = _definitions.Values
            .Where(definition => !definition.Deleted)
            .OrderBy(definition => definition.Order)
            .Select(BackendDefinitionMapper.ToRecord)
            .ToImmutableArray();
        Volatile.Write(ref _live, live);
    }

    private void LogReconciled(List<(string Id, Change Change)> changes)
    {
        int added = 0, updated = 0, removed = 0, keptDeleted = 0;
        foreach (var (id, change) in changes)
        {
            switch (change)
            {
                case Change.Added:
                    added++;
                    StorageLog.ConfigAdded(_logger, id);
                    break;
                case Change.Updated:
                    updated++;
                    StorageLog.ConfigUpdated(_logger, id);
                    break;
                case Change.TakenOver:
                    updated++;
                    StorageLog.ConfigTookOver(_logger, id);
                    break;
                case Change.Removed:
                    removed++;
                    StorageLog.ConfigRemoved(_logger, id);
                    break;
                case Change.KeptDeleted:
                    keptDeleted++;
                    StorageLog.KeptDeleted(_logger, id);
                    break;
            }
        }

        StorageLog.Reconciled(_logger, added, updated, removed, keptDeleted);

        var live = Live;
        foreach (var backend in live)
        {
            if (backend.Origin != BackendOrigin.Config)
            {
                continue;
            }

            foreach (var other in live)
            {
                if (other.Origin == BackendOrigin.Api && SameUrl(other.Settings.Url.OriginalString, backend.Settings.Url.OriginalString))
                {
                    StorageLog.DuplicateUrl(_logger, backend.Settings.Id, other.Settings.Id);
                }
            }
        }
    }

    // As the upstream's own duplicate check: ws://Host:1/ and ws://host:1 are one backend.
    private static bool SameUrl(string left, string right) =>
        left.TrimEnd('/').Equals(right.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private enum Change
    {
        Added,
        Updated,
        TakenOver,
        Removed,
        KeptDeleted,
    }
}

using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Metrics;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Plugins;

/// <summary>
/// Every plugin the balancer knows, by name: the folder it comes from, the version new sessions get, the older versions
/// live sessions still hold. Publishes an immutable <see cref="PluginSnapshot"/>; sessions take it at their start and hold
/// its versions through a <see cref="PluginLease"/> until they end. State changes are serialized by one gate; the data
/// plane only reads <see cref="Current"/> and takes leases, never the gate.
/// </summary>
internal sealed partial class PluginCatalog : IAsyncDisposable
{
    /// <summary>Older versions (draining or unload-pending) a plugin may have; a newer one waits until one is gone.</summary>
    public const int MaxHeldVersions = 16;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, PluginEntry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<PluginVersion> _toRelease = [];
    private readonly PluginSettings _settings;
    private readonly IBackendDialer _builtInDialer;
    private readonly IReadOnlyList<PluginPart<IValveProvider>> _builtInProviders;
    private readonly IReadOnlyList<PluginPart<ISessionListener>> _builtInListeners;
    private readonly PluginActivator _activator;
    private readonly BalancerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _versionsRoot;
    private readonly string _pluginDataRoot;
    private readonly string? _temporaryRoot;
    private readonly Action<PluginVersion> _retire;
    private PluginSnapshot _current;
    private PluginVersion[] _observed = [];
    private string? _missingDialerReported;
    private bool _disposed;

    public PluginCatalog(
        PluginSettings settings,
        string dataDirectory,
        IBackendDialer builtInDialer,
        IEnumerable<IValveProvider> builtInProviders,
        IEnumerable<ISessionListener> builtInListeners,
        PluginActivator activator,
        BalancerMetrics metrics,
        TimeProvider time,
        ILogger logger)
    {
        _settings = settings;
        _builtInDialer = builtInDialer;
        _builtInProviders = [.. builtInProviders.Select(p => new PluginPart<IValveProvider>(p, null))];
        _builtInListeners = [.. builtInListeners.Select(l => new PluginPart<ISessionListener>(l, null))];
        _activator = activator;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _retire = version => ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Catalog.RetireAsync(state.Version), (Catalog: this, Version: version), preferLocal: false);
        if (dataDirectory == ServerSettings.InMemoryDataDirectory)
        {
            // Nothing may outlive the process: copies and plugin data live in a directory of this process alone.
            _temporaryRoot = Path.Combine(Path.GetTempPath(), $"wsbalancer-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            _versionsRoot = Path.Combine(_temporaryRoot, "plugin-versions");
            _pluginDataRoot = Path.Combine(_temporaryRoot, "plugin-data");
        }
        else
        {
            // The data directory's lock file makes these ours alone; copies left by an earlier process are stale.
            _versionsRoot = Path.Combine(dataDirectory, "plugin-versions");
            _pluginDataRoot = Path.Combine(dataDirectory, "plugin-data");
            PluginFolder.TryDelete(_versionsRoot);
        }

        _current = new PluginSnapshot(builtInDialer, null, _builtInProviders, _builtInListeners, [], 0);
        metrics.ObservePluginVersions(ObserveVersions);
    }

    /// <summary>What a session starting now gets. Read without locks.</summary>
    public PluginSnapshot Current => Volatile.Read(ref _current);

    /// <summary>The directory users drop plugin folders into.</summary>
    public string Directory => _settings.Directory;

    public TimeSpan PollInterval => _settings.PollInterval;

    /// <summary>
    /// Loads every plugin folder present now, without waiting for them to be quiet, and publishes the first snapshot.
    /// </summary>
    /// <exception cref="ConfigurationErrorException"><c>upstream.dialer</c> names a dialer no loaded plugin has.</exception>
    public void Start()
    {
        _gate.Wait();
        try
        {
            ScanFolders(initial: true);
            PublishAndRelease();
            if (_settings.DialerPlugin is not null && Current.DialerVersion is null)
            {
                var loaded = _entries.Values.Where(e => e.Current is not null)
                    .SelectMany(e => e.Current!.Instances.Where(i => i.Instance is IBackendDialer).Select(i => $"{e.Name}/{i.TypeShortName}"))
                    .ToList();
                var reason = _entries.TryGetValue(_settings.DialerPlugin, out var entry) && entry.Error is { } error ? $"; plugin {entry.Name} failed to load: {error}" : string.Empty;
                throw new ConfigurationErrorException(
                    ConfigKey.ToDisplayPath(ConfigKey.Dialer),
                    _settings.Dialer,
                    $"{PluginSettings.BuiltInDialer} or the <Plugin>/<TypeName> of a loaded plugin dialer (loaded: {(loaded.Count == 0 ? "none" : string.Join(", ", loaded))}){reason}");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Looks at the plugin folders once: loads what changed and has been quiet, drops what vanished, watches unloads.</summary>
    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_disposed)
            {
                return;
            }

            if (ScanFolders(initial: false))
            {
                PublishAndRelease();
            }

            WatchUnloads();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Holds the versions of the current snapshot for a starting session. Never blocks on the catalog.</summary>
    public PluginLease AcquireLease()
    {
        var spin = new SpinWait();
        while (true)
        {
            // Fails only when a version was released between reading the snapshot and holding it, which happens
            // only after a newer snapshot has been published: reading again gets that one.
            if (PluginLease.TryAcquire(Current, _retire) is { } lease)
            {
                return lease;
            }

            spin.SpinOnce();
        }
    }

    /// <summary>The current dialer, for a failover dial, with its version held by <paramref name="lease"/>.</summary>
    public IBackendDialer HoldCurrentDialer(PluginLease lease)
    {
        var spin = new SpinWait();
        while (true)
        {
            var snapshot = Current;
            if (snapshot.DialerVersion is null || lease.TryHold(snapshot.DialerVersion))
            {
                return snapshot.Dialer;
            }

            spin.SpinOnce();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Volatile.Write(ref _current, new PluginSnapshot(_builtInDialer, null, _builtInProviders, _builtInListeners, [], long.MaxValue));
            foreach (var entry in _entries.Values)
            {
                if (entry.Current is { } version)
                {
                    entry.Current = null;
                    entry.Older.Add(version);
                    if (version.ReleasePublication())
                    {
                        // Inline: a plugin that flushes on dispose (an audit log) must finish before the process exits.
                        await RetireAsync(version);
                    }
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        if (_temporaryRoot is not null)
        {
            PluginFolder.TryDelete(_temporaryRoot);
        }
    }

    private bool IsEnabled(PluginEntry entry) =>
        entry.EnabledOverride
        ?? _settings.For(entry.Name).Enabled
        ?? (!entry.Bundled || string.Equals(_settings.DialerPlugin, entry.Name, StringComparison.OrdinalIgnoreCase));

    private string DataDirectoryFor(string name)
    {
        var path = Path.Combine(_pluginDataRoot, name);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Publishes a snapshot of the current versions, then releases the publication hold of versions no longer current.
    /// In that order: a session that read the old snapshot and finds a version released reads the new one.
    /// </summary>
    private void PublishAndRelease()
    {
        var ordered = _entries.Values
            .Where(e => e.Current is not null)
            .OrderBy(e => OrderIndex(e.Name))
            .ThenBy(e => e.Current!.Manifest?.Order ?? 0)
            .ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var providers = new List<PluginPart<IValveProvider>>(_builtInProviders);
        var listeners = new List<PluginPart<ISessionListener>>(_builtInListeners);
        var versions = new List<PluginVersion>();
        foreach (var entry in ordered)
        {
            var version = entry.Current!;
            var before = providers.Count + listeners.Count;
            providers.AddRange(version.InstancesOf<IValveProvider>().Select(p => new PluginPart<IValveProvider>(p, entry.Name)));
            listeners.AddRange(version.InstancesOf<ISessionListener>().Select(l => new PluginPart<ISessionListener>(l, entry.Name)));
            if (providers.Count + listeners.Count > before)
            {
                versions.Add(version);
            }
        }

        var (dialer, dialerVersion) = ResolveDialer();
        if (dialerVersion is not null && !versions.Contains(dialerVersion))
        {
            versions.Add(dialerVersion);
        }

        Volatile.Write(ref _current, new PluginSnapshot(dialer, dialerVersion, providers, listeners, versions, _current.Generation + 1)
        {
            DialerUnavailable = dialer is MissingDialer ? $"the configured dialer {_settings.Dialer} is not loaded" : null,
        });
        RefreshObserved();
        foreach (var version in _toRelease)
        {
            if (version.ReleasePublication())
            {
                _retire(version);
            }
        }

        _toRelease.Clear();
    }

    private int OrderIndex(string name)
    {
        for (var i = 0; i < _settings.Order.Count; i++)
        {
            if (_settings.Order[i].Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private (IBackendDialer Dialer, PluginVersion? Version) ResolveDialer()
    {
        if (_settings.DialerPlugin is not { } pluginName)
        {
            return (_builtInDialer, null);
        }

        var typeName = _settings.Dialer[(pluginName.Length + 1)..];
        if (_entries.TryGetValue(pluginName, out var entry) && entry.Current?.FindDialer(typeName) is { } dialer)
        {
            _missingDialerReported = null;
            return (dialer, entry.Current);
        }

        if (_missingDialerReported != _settings.Dialer)
        {
            _missingDialerReported = _settings.Dialer;
            PluginsLog.DialerMissing(_logger, _settings.Dialer);
        }

        return (new MissingDialer(_settings.Dialer), null);
    }

    /// <summary>Refreshes the list scrapes read (they must not touch the entries, which the gate holder changes).</summary>
    private void RefreshObserved()
    {
        var versions = new List<PluginVersion>();
        foreach (var entry in _entries.Values)
        {
            versions.AddRange(entry.Older);
            if (entry.Current is not null)
            {
                versions.Add(entry.Current);
            }
        }

        Volatile.Write(ref _observed, [.. versions]);
    }

    private IEnumerable<(string Plugin, string Version, int Sessions, bool Stuck)> ObserveVersions()
    {
        var now = _time.GetUtcNow();
        foreach (var version in Volatile.Read(ref _observed))
        {
            yield return (version.Name, $"{version.Version}#{version.Sequence}", version.Sessions, IsStuck(version, now));
        }
    }

    private bool IsStuck(PluginVersion version, DateTimeOffset now) =>
        version.RetiredAt is { } retiredAt && now - retiredAt >= _settings.UnloadReportAfter;

    /// <summary>The dialer while the configured plugin dialer is not loaded: new clients get 502, live ones 1011 on failover.</summary>
    private sealed class MissingDialer(string name) : IBackendDialer
    {
        public ValueTask<IBackendConnection> DialUpstreamAsync(BackendDialContext context, CancellationToken cancellationToken) =>
            throw new SystemUnavailableException(name, 0, $"the configured dialer {name} is not loaded");
    }
}

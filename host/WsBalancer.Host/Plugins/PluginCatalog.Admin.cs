using WsBalancer.Sdk;

namespace WsBalancer.Host.Plugins;

/// <summary>The outcome of a plugin action: the ancestor's result codes, with a reason when it failed.</summary>
internal readonly record struct PluginActionResult(AdminResult Result, string? Reason, bool NotFound = false);

// What the admin API asks of the catalog.
internal sealed partial class PluginCatalog
{
    public async Task<IReadOnlyList<PluginStatus>> ListAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            return [.. _entries.Values.OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase).Select(e => StatusOf(e, now))];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Loads the plugin's folder again now, as a new version, even when its files did not change.</summary>
    public Task<PluginActionResult> ReloadAsync(string name, CancellationToken cancellationToken) => UnderGateAsync(name, entry =>
    {
        if (!entry.FolderPresent)
        {
            return new PluginActionResult(AdminResult.Failed, $"plugin '{entry.Name}' has no folder any more");
        }

        if (!IsEnabled(entry))
        {
            return new PluginActionResult(AdminResult.Failed, $"plugin '{entry.Name}' is disabled");
        }

        var fingerprint = PluginFolder.Fingerprint(entry.SourcePath);
        if (fingerprint is null || !TryLoad(entry, fingerprint))
        {
            return new PluginActionResult(AdminResult.Failed, entry.Error ?? $"the folder of '{entry.Name}' is being changed; try again");
        }

        entry.SeenFingerprint = fingerprint;
        return new PluginActionResult(AdminResult.Success, null);
    }, cancellationToken);

    /// <summary>Stops offering the plugin to new sessions until it is enabled again (or the balancer restarts).</summary>
    public Task<PluginActionResult> DisableAsync(string name, CancellationToken cancellationToken) => UnderGateAsync(name, entry =>
    {
        if (!IsEnabled(entry))
        {
            return new PluginActionResult(AdminResult.NoActionRequired, null);
        }

        entry.EnabledOverride = false;
        Unpublish(entry, "disabled by the administrator");
        return new PluginActionResult(AdminResult.Success, null);
    }, cancellationToken);

    public Task<PluginActionResult> EnableAsync(string name, CancellationToken cancellationToken) => UnderGateAsync(name, entry =>
    {
        if (IsEnabled(entry))
        {
            return new PluginActionResult(AdminResult.NoActionRequired, null);
        }

        entry.EnabledOverride = true;
        var fingerprint = entry.FolderPresent ? PluginFolder.Fingerprint(entry.SourcePath) : null;
        if (fingerprint is not null)
        {
            entry.SeenFingerprint = fingerprint;
            TryLoad(entry, fingerprint);
        }

        return entry.Current is not null
            ? new PluginActionResult(AdminResult.Success, null)
            : new PluginActionResult(AdminResult.Failed, $"enabled, but it did not load: {entry.Error ?? "no folder"}");
    }, cancellationToken);

    private async Task<PluginActionResult> UnderGateAsync(string name, Func<PluginEntry, PluginActionResult> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_disposed || !_entries.TryGetValue(name, out var entry))
            {
                return new PluginActionResult(AdminResult.Failed, $"unknown plugin '{name}'", NotFound: true);
            }

            var result = action(entry);
            PublishAndRelease();
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private PluginStatus StatusOf(PluginEntry entry, DateTimeOffset now)
    {
        var current = entry.Current;
        var status = current is not null ? "active"
            : !IsEnabled(entry) && entry.FolderPresent ? "disabled"
            : entry.Older.Any(v => v.Sessions > 0) ? "draining"
            : entry.Older.Count > 0 ? "unload-pending"
            : entry.Error is not null ? "failed"
            : "disabled";
        var older = entry.Older
            .Select(v => new PluginVersionStatus(
                v.Version,
                v.Sequence,
                v.LoadedAt,
                v.RetiredAt is null ? "draining" : "unload-pending",
                v.Sessions,
                v.RetiredAt,
                IsStuck(v, now) ? $"still loaded {(int)(now - v.RetiredAt!.Value).TotalSeconds} s after its last session ended: something holds a reference to it (a static, a timer, a thread, an event handler)" : null))
            .ToList();
        return new PluginStatus(
            entry.Name,
            current?.Version,
            entry.SourcePath,
            current?.LoadedAt,
            status,
            entry.Error,
            current?.Manifest?.Description,
            entry.Bundled,
            current?.Types ?? [],
            current?.Sessions ?? 0,
            older);
    }
}

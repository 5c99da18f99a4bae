using System.Globalization;

namespace WsBalancer.Host.Plugins;

// Scanning the plugin folders and loading what changed. Runs under the gate only.
internal sealed partial class PluginCatalog
{
    /// <summary>Returns true when a version was added or removed (a new snapshot is due).</summary>
    private bool ScanFolders(bool initial)
    {
        var changed = false;
        var found = FindFolders();
        foreach (var (name, (path, bundled)) in found)
        {
            if (!_entries.TryGetValue(name, out var entry))
            {
                entry = new PluginEntry(name, path, bundled);
                _entries[name] = entry;
            }
            else if (entry.SourcePath != path)
            {
                // A user folder now shadows the bundled plugin of that name, or stopped doing so.
                entry.SourcePath = path;
                entry.Bundled = bundled;
                entry.SeenFingerprint = entry.LoadedFingerprint = null;
            }

            entry.FolderPresent = true;
            if (!IsEnabled(entry))
            {
                changed |= Unpublish(entry, "disabled");
                continue;
            }

            var fingerprint = PluginFolder.Fingerprint(path);
            if (fingerprint is null)
            {
                continue;
            }

            var now = _time.GetTimestamp();
            if (fingerprint != entry.SeenFingerprint)
            {
                entry.SeenFingerprint = fingerprint;
                entry.SeenSince = now;
                if (!initial)
                {
                    continue;
                }
            }

            if (fingerprint == entry.LoadedFingerprint || (!initial && _time.GetElapsedTime(entry.SeenSince, now) < _settings.QuietPeriod))
            {
                continue;
            }

            changed |= TryLoad(entry, fingerprint);
        }

        foreach (var entry in _entries.Values.Where(e => !found.ContainsKey(e.Name)).ToList())
        {
            if (entry.FolderPresent)
            {
                entry.FolderPresent = false;
                entry.SeenFingerprint = entry.LoadedFingerprint = null;
                entry.Error = null;
                entry.ErrorAt = null;
            }

            changed |= Unpublish(entry, "its folder was deleted");
            if (entry.Older.Count == 0)
            {
                _entries.Remove(entry.Name);
            }
        }

        RefreshObserved();
        return changed;
    }

    /// <summary>Plugin folders by name: the user's directory shadows the bundled one. Source folders are skipped.</summary>
    private Dictionary<string, (string Path, bool Bundled)> FindFolders()
    {
        var found = new Dictionary<string, (string, bool)>(StringComparer.OrdinalIgnoreCase);
        AddFolders(found, _settings.BundledDirectory, bundled: true);
        if (!SameDirectory(_settings.Directory, _settings.BundledDirectory))
        {
            // Started from the host's own folder, ./plugins is the bundled folder: its plugins stay opt-in.
            AddFolders(found, _settings.Directory, bundled: false);
        }

        return found;
    }

    private static bool SameDirectory(string directory, string? other) =>
        other is not null && Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) == Path.TrimEndingDirectorySeparator(Path.GetFullPath(other));

    private void AddFolders(Dictionary<string, (string, bool)> found, string? directory, bool bundled)
    {
        if (directory is null || !System.IO.Directory.Exists(directory))
        {
            return;
        }

        string[] folders;
        try
        {
            folders = System.IO.Directory.GetDirectories(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            PluginsLog.ScanFailed(_logger, directory, ex.Message);
            return;
        }

        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder);
            if (!PluginName.IsValid(name) || name.StartsWith('.'))
            {
                continue;
            }

            if (PluginFolder.IsSourceProject(folder))
            {
                PluginsLog.SourceFolderSkipped(_logger, folder);
                continue;
            }

            found[name] = (folder, bundled);
        }
    }

    /// <summary>Copies the folder, loads the copy, and makes it current; on failure the current version stays.</summary>
    private bool TryLoad(PluginEntry entry, string fingerprint)
    {
        if (entry.Older.Count >= MaxHeldVersions)
        {
            // Retried on every scan (the fingerprint is not recorded), logged only when the reason first appears.
            SetError(entry, $"not loaded yet: {entry.Older.Count} older versions are still held by live sessions or not yet unloaded (limit {MaxHeldVersions})");
            return false;
        }

        var sequence = ++entry.Sequence;
        var copy = Path.Combine(_versionsRoot, entry.Name, sequence.ToString("D4", CultureInfo.InvariantCulture));
        try
        {
            PluginFolder.TryDelete(copy);
            PluginFolder.Copy(entry.SourcePath, copy);
            if (PluginFolder.Fingerprint(entry.SourcePath) != fingerprint)
            {
                // Written to while being copied: wait until it is quiet again.
                PluginFolder.TryDelete(copy);
                entry.SeenFingerprint = null;
                return false;
            }

            var version = _activator.Load(entry.Name, sequence, entry.SourcePath, copy, _settings.For(entry.Name).Settings, DataDirectoryFor(entry.Name));
            entry.LoadedFingerprint = fingerprint;
            entry.Error = null;
            entry.ErrorAt = null;
            if (entry.Current is { } old)
            {
                entry.Older.Add(old);
                _toRelease.Add(old);
            }

            entry.Current = version;
            _metrics.PluginLoaded(entry.Name);
            PluginsLog.Loaded(_logger, entry.Name, version.Version, entry.SourcePath, string.Join(", ", version.Types.Select(t => $"{t.Kind} {t.Name}")));
            return true;
        }
        catch (Exception ex) when (ex is PluginLoadException or IOException or UnauthorizedAccessException)
        {
            PluginFolder.TryDelete(copy);
            entry.LoadedFingerprint = fingerprint; // the same files are not tried again; a change to them is
            var reason = ex is PluginLoadException ? ex.Message : $"cannot copy the folder: {ex.Message}";
            _metrics.PluginLoadFailed(entry.Name);
            PluginsLog.LoadFailed(_logger, entry.Name, entry.SourcePath, reason);
            entry.Error = reason;
            entry.ErrorAt = _time.GetUtcNow();
            return false;
        }
    }

    private void SetError(PluginEntry entry, string reason)
    {
        if (entry.Error != reason)
        {
            PluginsLog.LoadFailed(_logger, entry.Name, entry.SourcePath, reason);
            entry.Error = reason;
            entry.ErrorAt = _time.GetUtcNow();
        }
    }

    /// <summary>Stops offering the current version to new sessions; live ones keep it. True when there was one.</summary>
    private bool Unpublish(PluginEntry entry, string why)
    {
        if (entry.Current is not { } version)
        {
            return false;
        }

        entry.Current = null;
        entry.Older.Add(version);
        _toRelease.Add(version);
        entry.LoadedFingerprint = null; // enabling or restoring it loads the folder again
        PluginsLog.Removed(_logger, entry.Name, why, version.Sessions);
        return true;
    }
}

namespace WsBalancer.Host.Plugins;

// Retiring versions nobody holds, and watching their load contexts go away.
internal sealed partial class PluginCatalog
{
    // When, after retirement, the catalog forces a collection for a version whose context is still alive. A context
    // only goes away in a collection, and an idle balancer may not collect for hours: without these, an unloadable
    // version would look stuck.
    private static readonly TimeSpan[] CollectSchedule =
        [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(58)];

    /// <summary>Disposes the instances and the loader of a version nobody holds any more. Runs on the thread pool.</summary>
    private async Task RetireAsync(PluginVersion version)
    {
        var failures = await version.RetireAsync(_time.GetUtcNow());
        foreach (var (typeName, error) in failures)
        {
            PluginsLog.DisposeFailed(_logger, version.Name, typeName, error);
        }

        PluginsLog.Retired(_logger, version.Name, version.Version);
    }

    /// <summary>Forgets versions whose context was collected; forces a collection on schedule; reports stuck ones.</summary>
    private void WatchUnloads()
    {
        var now = _time.GetUtcNow();
        var collect = false;
        var changed = false;
        foreach (var entry in _entries.Values.ToList())
        {
            foreach (var version in entry.Older.ToList())
            {
                if (version.RetiredAt is not { } retiredAt)
                {
                    continue; // still held by sessions, or being retired right now
                }

                if (!version.Context.IsAlive)
                {
                    entry.Older.Remove(version);
                    PluginFolder.TryDelete(version.CopyPath);
                    PluginsLog.Unloaded(_logger, version.Name, version.Version);
                    changed = true;
                    continue;
                }

                var age = now - retiredAt;
                if (version.CollectAttempts < CollectSchedule.Length && age >= CollectSchedule[version.CollectAttempts])
                {
                    version.CollectAttempts++;
                    collect = true;
                }

                if (age >= _settings.UnloadReportAfter && !version.UnloadStuckReported)
                {
                    version.UnloadStuckReported = true;
                    PluginsLog.UnloadStuck(_logger, version.Name, version.Version, (int)age.TotalSeconds);
                }
            }

            if (!entry.FolderPresent && entry.Current is null && entry.Older.Count == 0)
            {
                _entries.Remove(entry.Name);
                changed = true;
            }
        }

        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        if (changed)
        {
            RefreshObserved();
        }
    }
}

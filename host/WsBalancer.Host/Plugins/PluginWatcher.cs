using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Plugins;

/// <summary>Looks at the plugin folders every <see cref="PluginSettings.PollInterval"/> for the life of the host.</summary>
/// <remarks>
/// Polling rather than a file-system watcher: it sees changes on every file system (network shares and container
/// volumes drop inotify events), it doubles as the quiet-period timer, and a few directory listings a second cost
/// nothing next to the traffic.
/// </remarks>
internal sealed class PluginWatcher(PluginCatalog catalog, TimeProvider time, ILogger<PluginWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(catalog.PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await catalog.ScanAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            PluginsLog.WatcherFailed(logger, ex);
        }
    }
}

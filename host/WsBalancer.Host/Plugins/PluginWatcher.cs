using Microsoft.Extensions.Logging;
using WsBalancer.Host.Hosting;

namespace WsBalancer.Host.Plugins;

/// <summary>Looks at the plugin folders every <see cref="PluginSettings.PollInterval"/> for the life of the host.</summary>
internal sealed class PluginWatcher(PluginCatalog catalog, TimeProvider time, ILogger<PluginWatcher> logger)
    : PeriodicWork(catalog.PollInterval, time)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => catalog.ScanAsync(cancellationToken);

    protected override void Failed(Exception exception) => PluginsLog.WatcherFailed(logger, exception);
}

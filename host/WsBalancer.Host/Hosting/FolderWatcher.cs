using Microsoft.Extensions.Hosting;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// Looks at a folder of hot-reloaded parts (plugins, scripts) on a fixed interval for the life of the host.
/// </summary>
/// <remarks>
/// Polling rather than a file-system watcher: it sees changes on every file system (network shares and container
/// volumes drop inotify events), it doubles as the quiet-period timer that keeps a file being written from being
/// loaded half way, and a few directory listings a second cost nothing next to the traffic.
/// </remarks>
internal abstract class FolderWatcher(TimeSpan interval, TimeProvider time) : BackgroundService
{
    /// <summary>One look at the folder.</summary>
    protected abstract Task ScanAsync(CancellationToken cancellationToken);

    /// <summary>A scan threw: a bug. Changes are no longer picked up; say so in the log.</summary>
    protected abstract void Failed(Exception exception);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ScanAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
    }
}

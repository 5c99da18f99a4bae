using Microsoft.Extensions.Hosting;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// Work done on a fixed interval for the life of the host: the plugin and script folder watchers, the idle script
/// engine sweep.
/// </summary>
/// <remarks>
/// The folders are polled rather than watched with a file-system watcher: polling sees changes on every file system
/// (network shares and container volumes drop inotify events), doubles as the quiet-period timer that keeps a file
/// being written from being loaded half way, and a few directory listings a second cost nothing next to the traffic.
/// </remarks>
internal abstract class PeriodicWork(TimeSpan interval, TimeProvider time) : BackgroundService
{
    /// <summary>The clock the interval runs on.</summary>
    protected TimeProvider Time => time;

    /// <summary>False when the work is switched off by its settings: the service then does nothing.</summary>
    protected virtual bool Enabled => true;

    /// <summary>One round of the work.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A round threw: a bug. Said once per run of failing rounds (the next tick tries again: one bad round must not end
    /// hot reload for the life of the process, and a round failing on every tick must not flood the log).
    /// </summary>
    protected abstract void Failed(Exception exception);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                    failing = false;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    if (!failing)
                    {
                        Failed(ex);
                        failing = true;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

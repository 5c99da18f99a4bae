using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Scripting;

/// <summary>Looks at the scripts folder every <see cref="ScriptSettings.PollInterval"/> for the life of the host.</summary>
/// <remarks>Polling, as for plugins: it works on every file system and doubles as the quiet-period timer that keeps a
/// file being written from being loaded half way.</remarks>
internal sealed class ScriptWatcher(ScriptLibrary library, TimeProvider time, ILogger<ScriptWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(library.Settings.PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await library.ScanAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            ScriptingLog.WatcherFailed(logger, ex);
        }
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// Lets go of script engines that went uncalled for <see cref="ScriptSettings.EngineIdleTimeout"/>: an idle session
/// then costs its state, not an engine (about 40 KiB each). Runs every half timeout, at most every 5 s.
/// </summary>
internal sealed class IdleEngineSweep(ScriptLibrary library, TimeProvider time, ILogger<IdleEngineSweep> logger) : BackgroundService
{
    private static readonly TimeSpan LongestPeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ShortestPeriod = TimeSpan.FromMilliseconds(50);

    // About 2.5 MiB of engines: worth a collection.
    private const int CollectAfter = 64;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idleFor = library.Settings.EngineIdleTimeout;
        if (idleFor <= TimeSpan.Zero)
        {
            return;
        }

        var period = TimeSpan.FromTicks(Math.Clamp(idleFor.Ticks / 2, ShortestPeriod.Ticks, LongestPeriod.Ticks));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var released = 0;
                foreach (var session in library.SessionsWithEngines)
                {
                    released += session.ReleaseIdleEngines(idleFor);
                }

                if (released > 0)
                {
                    ScriptingLog.IdleEnginesReleased(logger, released);
                }

                if (released >= CollectAfter)
                {
                    // Released engines are old objects: a process that has gone quiet allocates nothing and so never
                    // runs the full collection that would give their memory back. A background one does, without a pause.
                    GC.Collect(2, GCCollectionMode.Forced, blocking: false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            IdleSweepFailed(ex);
        }
    }

    private void IdleSweepFailed(Exception exception) => ScriptingLog.IdleSweepFailed(logger, exception);
}

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

    // About 10 MiB of engines: worth giving back.
    private const int CompactAfter = 256;

    // A compacting collection pauses the process for a time that grows with the heap: measured in tens of
    // milliseconds below this size. Above it, released engines' memory is only reused, not returned.
    private const long CompactBelowHeapBytes = 512L * 1024 * 1024;

    private static readonly TimeSpan CompactAtMostEvery = TimeSpan.FromMinutes(1);

    private long _lastCompaction;
    private int _releasedSinceCompaction;

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

                // Sessions go idle in waves: the memory is given back once a wave is over.
                _releasedSinceCompaction += released;
                if (released == 0 && _releasedSinceCompaction >= CompactAfter)
                {
                    GiveMemoryBack();
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

    /// <summary>
    /// Released engines are old objects: a full collection frees them, but the runtime keeps the memory for later use
    /// (a quiet process, allocating nothing, would never run that collection at all). An aggressive collection compacts
    /// the heap and returns the free memory to the system: done once a wave of releases is over and many engines went,
    /// when the heap is small enough for a short pause, and not more than once a minute.
    /// </summary>
    private void GiveMemoryBack()
    {
        var now = time.GetTimestamp();
        if ((_lastCompaction != 0 && time.GetElapsedTime(_lastCompaction, now) < CompactAtMostEvery)
            || GC.GetGCMemoryInfo().HeapSizeBytes > CompactBelowHeapBytes)
        {
            return;
        }

        _lastCompaction = now;
        _releasedSinceCompaction = 0;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private void IdleSweepFailed(Exception exception) => ScriptingLog.IdleSweepFailed(logger, exception);
}

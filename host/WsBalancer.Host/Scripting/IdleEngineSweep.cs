using Microsoft.Extensions.Logging;
using WsBalancer.Host.Hosting;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// Lets go of script engines that went uncalled for <see cref="ScriptSettings.EngineIdleTimeout"/>: an idle session
/// then costs its state, not an engine (about 40 KiB each). Runs every half timeout, at most every 5 s.
/// </summary>
internal sealed class IdleEngineSweep(ScriptLibrary library, TimeProvider time, ILogger<IdleEngineSweep> logger)
    : PeriodicWork(Period(library.Settings.EngineIdleTimeout), time)
{
    private static readonly TimeSpan LongestPeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ShortestPeriod = TimeSpan.FromMilliseconds(50);

    // About 10 MiB of engines: worth giving back.
    private const int CompactAfter = 256;

    // A compacting collection pauses the process for a time that grows with the live heap: measured in tens of
    // milliseconds below this size. Above it, released engines' memory is only reused, not returned.
    private const long CompactBelowHeapBytes = 512L * 1024 * 1024;

    private static readonly TimeSpan CompactAtMostEvery = TimeSpan.FromMinutes(1);

    private readonly TimeSpan _idleFor = library.Settings.EngineIdleTimeout;
    private long _lastCompaction;
    private int _releasedSinceCompaction;

    protected override bool Enabled => _idleFor > TimeSpan.Zero;

    protected override Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var released = 0;
        foreach (var session in library.SessionsWithEngines)
        {
            released += session.ReleaseIdleEngines(_idleFor);
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

        return Task.CompletedTask;
    }

    protected override void Failed(Exception exception) => ScriptingLog.IdleSweepFailed(logger, exception);

    // Zero (switched off) still needs a valid interval: the work never starts then.
    private static TimeSpan Period(TimeSpan idleFor) =>
        TimeSpan.FromTicks(Math.Clamp(idleFor.Ticks / 2, ShortestPeriod.Ticks, LongestPeriod.Ticks));

    /// <summary>
    /// Released engines are old objects: a full collection frees them, but the runtime keeps the memory for later use
    /// (a quiet process, allocating nothing, would never run that collection at all). An aggressive collection compacts
    /// the heap and returns the free memory to the system: done once a wave of releases is over and many engines went,
    /// when what is live is small enough for a short pause, and not more than once a minute.
    /// </summary>
    private void GiveMemoryBack()
    {
        var now = Time.GetTimestamp();
        if (_lastCompaction != 0 && Time.GetElapsedTime(_lastCompaction, now) < CompactAtMostEvery)
        {
            return;
        }

        _lastCompaction = now;
        _releasedSinceCompaction = 0;
        // The pause grows with what survives, not with the garbage: the heap the last collection saw still held the
        // released engines (9 500 of them are over 512 MiB, and compaction was then skipped exactly when it mattered
        // most). A full collection without compaction says what is live; compact only when that is small.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        var collected = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        if (collected.HeapSizeBytes - collected.FragmentedBytes <= CompactBelowHeapBytes)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }
}

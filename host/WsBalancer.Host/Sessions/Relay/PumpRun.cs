using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>One running direction of a relayed session: the pump, its run, and how to drop its outbound leg.</summary>
internal sealed class PumpRun
{
    private readonly Action _abortOutbound;
    private readonly TimeSpan _patience;
    private readonly TimeProvider _time;

    private PumpRun(RelayPump pump, Task<RelayOutcome> run, Action abortOutbound, TimeSpan patience, TimeProvider time)
    {
        Pump = pump;
        Run = run;
        _abortOutbound = abortOutbound;
        _patience = patience;
        _time = time;
    }

    public RelayPump Pump { get; }

    public Task<RelayOutcome> Run { get; }

    /// <summary>Starts <paramref name="pump"/>; it runs on the thread pool from its first wait on.</summary>
    /// <param name="abortOutbound">Drops the pump's outbound connection: what ends a flush its peer never takes.</param>
    /// <param name="patience">How long an abandoned pump may take to end before its outbound connection is dropped.</param>
    public static PumpRun Start(RelayPump pump, Action abortOutbound, TimeSpan patience, TimeProvider time) =>
        new(pump, pump.RunAsync(CancellationToken.None).AsTask(), abortOutbound, patience, time);

    /// <summary>Stops the pump where it is (see <see cref="RelayPump.Abandon"/>) and waits for it.</summary>
    public Task<RelayOutcome> AbandonAsync()
    {
        Pump.Abandon();
        return EndAsync();
    }

    /// <summary>Waits for the run within <paramref name="timeout"/>; abandons it after that.</summary>
    public async Task<RelayOutcome> WaitOrAbandonAsync(TimeSpan timeout)
    {
        if (!await EndsWithinAsync(timeout))
        {
            Pump.Abandon();
        }

        return await EndAsync();
    }

    /// <summary>
    /// An abandoned pump ends at its next read or flush; a flush its peer does not take (a peer that stopped reading)
    /// would never end, so after the patience its outbound connection is dropped, which fails that flush.
    /// </summary>
    private async Task<RelayOutcome> EndAsync()
    {
        if (!await EndsWithinAsync(_patience))
        {
            Pump.AbandonNow(); // a frame it was finishing waits for bytes that do not come
            _abortOutbound();
        }

        return await Run;
    }

    private async Task<bool> EndsWithinAsync(TimeSpan timeout)
    {
        if (Run.IsCompleted)
        {
            return true;
        }

        try
        {
            await Run.WaitAsync(timeout, _time);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}

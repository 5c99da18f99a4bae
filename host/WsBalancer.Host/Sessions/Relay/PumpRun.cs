using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>One running direction of a relayed session: the pump and its run.</summary>
internal sealed class PumpRun
{
    private PumpRun(RelayPump pump, Task<RelayOutcome> run)
    {
        Pump = pump;
        Run = run;
    }

    public RelayPump Pump { get; }

    public Task<RelayOutcome> Run { get; }

    /// <summary>Starts <paramref name="pump"/>; it runs on the thread pool from its first wait on.</summary>
    public static PumpRun Start(RelayPump pump, CancellationToken cancellationToken) => new(pump, pump.RunAsync(cancellationToken).AsTask());

    /// <summary>Stops the pump where it is (see <see cref="RelayPump.Abandon"/>) and waits for it.</summary>
    public async Task<RelayOutcome> AbandonAsync()
    {
        Pump.Abandon();
        return await Run;
    }

    /// <summary>Waits for the run within <paramref name="timeout"/>; abandons it after that.</summary>
    public async Task<RelayOutcome> WaitOrAbandonAsync(TimeSpan timeout, TimeProvider time)
    {
        if (!Run.IsCompleted)
        {
            try
            {
                await Run.WaitAsync(timeout, time);
            }
            catch (TimeoutException)
            {
                Pump.Abandon();
            }
        }

        return await Run;
    }
}

using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Frontend;

/// <summary>
/// The frontend listener's identity, its pause switch (pausing refuses new sessions only) and whether the balancer
/// is draining for shutdown (refuses new sessions too, for good: no switch turns it back).
/// </summary>
internal sealed class FrontendState
{
    private int _paused;
    private int _draining;

    public FrontendState(ListenAddress address)
    {
        // The ancestor named a frontend after its listen address, with non-alphanumerics as '-'.
        Id = BackendId.FromUrl(address.ToString());
    }

    public string Id { get; }

    public bool Paused => Volatile.Read(ref _paused) == 1;

    /// <summary>True once the balancer began to shut down: new sessions are refused, live ones get the drain timeout.</summary>
    public bool Draining => Volatile.Read(ref _draining) == 1;

    /// <summary>Starts refusing new sessions for the shutdown; false when it already had.</summary>
    public bool BeginDraining() => Interlocked.Exchange(ref _draining, 1) == 0;

    /// <summary>Sets the switch; false when it already was in that position.</summary>
    public bool SetPaused(bool paused) => Interlocked.Exchange(ref _paused, paused ? 1 : 0) != (paused ? 1 : 0);
}

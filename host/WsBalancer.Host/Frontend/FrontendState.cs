using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Frontend;

/// <summary>The frontend listener's identity and its pause switch (pausing refuses new sessions only).</summary>
internal sealed class FrontendState
{
    private int _paused;

    public FrontendState(ListenAddress address)
    {
        // The ancestor named a frontend after its listen address, with non-alphanumerics as '-'.
        Id = BackendId.FromUrl(address.ToString());
    }

    public string Id { get; }

    public bool Paused => Volatile.Read(ref _paused) == 1;

    /// <summary>Sets the switch; false when it already was in that position.</summary>
    public bool SetPaused(bool paused) => Interlocked.Exchange(ref _paused, paused ? 1 : 0) != (paused ? 1 : 0);
}

using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Storage;

/// <summary>A live backend as the registry knows it.</summary>
/// <param name="Settings">The backend's settings; a config-origin backend's come from the configuration.</param>
/// <param name="Enabled">False when switched off through the admin API; the switch survives restarts.</param>
/// <param name="Origin">Who owns the definition.</param>
internal sealed record BackendRecord(BackendSettings Settings, bool Enabled, BackendOrigin Origin)
{
    /// <summary>When the definition was last written (added, changed, switched).</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

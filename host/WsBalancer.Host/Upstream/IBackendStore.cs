using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Upstream;

/// <summary>Where the built-in upstream persists what the admin API changes. Each call stores before it returns.</summary>
internal interface IBackendStore
{
    /// <summary>Stores a new API-added backend; null on success, else the reason it was refused.</summary>
    string? Add(BackendSettings settings);

    /// <summary>Stores the enabled switch; false for an unknown id.</summary>
    bool SetEnabled(string id, bool enabled);

    /// <summary>Stores a deletion; false for an unknown id.</summary>
    bool Delete(string id);
}

/// <summary>Told about dial and drain outcomes the upstream alone sees (metrics hook in here).</summary>
internal interface IUpstreamObserver
{
    /// <summary>A dial to <paramref name="backendId"/> failed; <paramref name="reason"/> is unavailable, declined, timeout or circuit_open.</summary>
    void DialFailed(string backendId, string reason);

    /// <summary>A drain moved one session off <paramref name="backendId"/>.</summary>
    void SessionDrained(string backendId);
}

/// <summary>One backend as the upstream starts with it: its settings and whether it is enabled.</summary>
internal sealed record InitialBackend(BackendSettings Settings, bool Enabled);

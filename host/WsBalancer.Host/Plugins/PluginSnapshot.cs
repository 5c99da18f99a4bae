using WsBalancer.Sdk;

namespace WsBalancer.Host.Plugins;

/// <summary>A valve provider or listener with the plugin that owns it (null for a built-in one), so faults are counted per plugin.</summary>
internal readonly record struct PluginPart<T>(T Instance, string? PluginName)
    where T : class;

/// <summary>
/// What a session starts with: the active dialer, the valve providers and the listeners, in order, and the plugin
/// versions they come from. Immutable; the catalog publishes a new one on every change, and a session holds the
/// versions of the one it started with until it ends.
/// </summary>
internal sealed class PluginSnapshot
{
    public PluginSnapshot(
        IBackendDialer dialer,
        PluginVersion? dialerVersion,
        IReadOnlyList<PluginPart<IValveProvider>> valveProviders,
        IReadOnlyList<PluginPart<ISessionListener>> listeners,
        IReadOnlyList<PluginVersion> versions,
        long generation)
    {
        Dialer = dialer;
        DialerVersion = dialerVersion;
        ValveProviders = valveProviders;
        Listeners = listeners;
        Versions = versions;
        Generation = generation;
    }

    public IBackendDialer Dialer { get; }

    /// <summary>The plugin version the dialer comes from; null for the built-in upstream.</summary>
    public PluginVersion? DialerVersion { get; }

    public IReadOnlyList<PluginPart<IValveProvider>> ValveProviders { get; }

    public IReadOnlyList<PluginPart<ISessionListener>> Listeners { get; }

    /// <summary>Every plugin version a session started on this snapshot may call: dialer, providers, listeners.</summary>
    public IReadOnlyList<PluginVersion> Versions { get; }

    public long Generation { get; }

    /// <summary>Why no dialer can serve (the configured plugin dialer is not loaded), or null.</summary>
    public string? DialerUnavailable { get; init; }
}

/// <summary>
/// The plugin versions one session holds: those of the snapshot it started with, plus the dialer version of any
/// later failover dial. Released once, when the session ends.
/// </summary>
internal sealed class PluginLease
{
    private readonly Action<PluginVersion> _retire;
    private List<PluginVersion>? _held;

    private PluginLease(PluginSnapshot snapshot, List<PluginVersion> held, Action<PluginVersion> retire)
    {
        Snapshot = snapshot;
        _held = held;
        _retire = retire;
    }

    /// <summary>The snapshot the session started with; its providers and listeners serve the session to its end.</summary>
    public PluginSnapshot Snapshot { get; }

    /// <summary>Holds every version of <paramref name="snapshot"/>; null when one was retired meanwhile (read the current snapshot again).</summary>
    public static PluginLease? TryAcquire(PluginSnapshot snapshot, Action<PluginVersion> retire)
    {
        var held = new List<PluginVersion>(snapshot.Versions.Count);
        foreach (var version in snapshot.Versions)
        {
            if (!version.TryHoldForSession())
            {
                foreach (var taken in held)
                {
                    if (taken.ReleaseSession())
                    {
                        retire(taken);
                    }
                }

                return null;
            }

            held.Add(version);
        }

        return new PluginLease(snapshot, held, retire);
    }

    /// <summary>Also holds <paramref name="version"/> (a newer dialer used by a failover); false when it is already retiring.</summary>
    public bool TryHold(PluginVersion version)
    {
        lock (this)
        {
            ObjectDisposedException.ThrowIf(_held is null, this); // a session dials only while it lives

            if (_held.Contains(version))
            {
                return true;
            }

            if (!version.TryHoldForSession())
            {
                return false;
            }

            _held.Add(version);
            return true;
        }
    }

    public void Release()
    {
        List<PluginVersion>? held;
        lock (this)
        {
            held = _held;
            _held = null;
        }

        foreach (var version in held ?? [])
        {
            if (version.ReleaseSession())
            {
                _retire(version);
            }
        }
    }
}

using System.Runtime.CompilerServices;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Metrics;

/// <summary>Counts new client sessions from the SDK's pair events, as a plugin would.</summary>
/// <remarks>
/// A failover is reported as Terminated then Created for the same client leg, so only the first Created per client
/// is a new session. The end of a client session cannot be told from these events (a failed re-dial ends the session
/// after its last Terminated, with no further call), so durations come from the host's
/// <see cref="BalancerMetrics.SessionEnded"/> and the open count from <see cref="BalancerMetrics.ObserveActiveSessions"/>.
/// </remarks>
internal sealed class MetricsSessionListener : ISessionListener
{
    private static readonly object Seen = new();

    // Keyed weakly by the client leg (the same object for all pairs of one client): an entry lives exactly as long as
    // its client leg, so memory is bounded by the open sessions with no clean-up call needed.
    private readonly ConditionalWeakTable<IFrontendConnection, object> _started = [];
    private readonly BalancerMetrics _metrics;

    public MetricsSessionListener(BalancerMetrics metrics)
    {
        _metrics = metrics;
    }

    public void SessionCreated(ProxySession session)
    {
        if (_started.TryAdd(session.Frontend, Seen))
        {
            _metrics.SessionStarted(session.Frontend.FrontendId, session.Backend.BackendId);
        }
    }

    public void SessionTerminated(ProxySession session)
    {
        // Nothing to do: a Terminated may be followed by a failover's Created (see the remarks above).
    }
}

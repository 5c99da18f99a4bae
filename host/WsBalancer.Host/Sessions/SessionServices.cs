using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Metrics;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>What every session shares: settings, the active dialer, valve providers, listeners, the registry.</summary>
internal sealed record SessionServices(
    ServerSettings Settings,
    IBackendDialer Dialer,
    IReadOnlyList<IValveProvider> ValveProviders,
    IReadOnlyList<ISessionListener> Listeners,
    SessionRegistry Registry,
    BalancerMetrics Metrics,
    TimeProvider Time,
    ILogger Logger,
    CancellationToken Stopping);

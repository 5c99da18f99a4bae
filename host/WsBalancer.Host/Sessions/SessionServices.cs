using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Metrics;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// What every session shares: settings, the plugin catalog (dialer, valve providers and listeners, each session holding
/// the versions it started with), the registry, the buffer budget.
/// </summary>
internal sealed record SessionServices(
    ServerSettings Settings,
    PluginCatalog Plugins,
    PluginFaults Faults,
    ScriptLibrary Scripts,
    ScriptFaultLog ScriptFaults,
    SessionRegistry Registry,
    BalancerMetrics Metrics,
    BufferBudget Budget,
    TimeProvider Time,
    ILogger Logger,
    CancellationToken Stopping);

using WsBalancer.Host.Configuration;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Metrics;

/// <summary>Adds the message-size valve to every session when enable-instrumentation is on, and nothing otherwise.</summary>
internal sealed class MetricsValveProvider : IValveProvider
{
    private static readonly IReadOnlyList<IMessageValve> None = [];

    // One stateless valve serves every session: building a chain costs no allocation here.
    private readonly IReadOnlyList<IMessageValve> _valves;

    public MetricsValveProvider(BalancerMetrics metrics, ServerSettings settings)
    {
        // Off means no valve at all, so messages pay nothing for metrics they would not record.
        _valves = settings.EnableInstrumentation ? [new MetricsValve(metrics)] : None;
    }

    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) => _valves;
}

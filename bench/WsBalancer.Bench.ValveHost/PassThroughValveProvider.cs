using WsBalancer.Sdk;

namespace WsBalancer.Bench.ValveHost;

/// <summary>Adds the one <see cref="PassThroughValve"/> to every session.</summary>
internal sealed class PassThroughValveProvider : IValveProvider
{
    // The valve is stateless, so one list serves every session: the benchmark then measures the message path
    // through a valve, not an allocation per session start.
    private static readonly IReadOnlyList<IMessageValve> Valves = [PassThroughValve.Instance];

    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) => Valves;
}

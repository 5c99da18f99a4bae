using WsBalancer.Sdk;

namespace WsBalancer.TestPlugins.TooNew;

/// <summary>A valve provider built against WsBalancer.Sdk 2.0.0; a 1.x host must refuse it.</summary>
public sealed class TooNewProvider : IValveProvider
{
    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) => [];
}

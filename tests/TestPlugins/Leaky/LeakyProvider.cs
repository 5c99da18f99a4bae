using WsBalancer.Sdk;

namespace WsBalancer.TestPlugins.Leaky;

/// <summary>
/// Breaks the rule every plugin must keep: it hooks a process-wide event and never unhooks it, so its load context can
/// never be collected. The host must report that instead of hiding it.
/// </summary>
public sealed class LeakyProvider : IValveProvider
{
    public LeakyProvider() => AppDomain.CurrentDomain.ProcessExit += OnExit;

    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) => [];

    private void OnExit(object? sender, EventArgs e)
    {
    }
}

using WsBalancer.Sdk;

namespace WsBalancer.TestPlugins.Faulty;

/// <summary>
/// Fails where its settings say: <c>constructor</c> (throws when created), <c>provider</c> (AddValves throws),
/// <c>valve</c> (throws on every client message whose text is "boom", passes others), <c>listener</c> (throws on
/// SessionCreated).
/// </summary>
public sealed class FaultyPlugin : IValveProvider, ISessionListener
{
    private readonly IReadOnlyDictionary<string, string> _settings;

    public FaultyPlugin(IPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _settings = context.Settings;
        if (Is("constructor"))
        {
            throw new InvalidOperationException("plugins.Faulty.settings.fail='constructor': failing as asked");
        }
    }

    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) =>
        Is("provider") ? throw new InvalidOperationException("provider failing as asked") : [new BoomValve(Is("valve"))];

    public void SessionCreated(ProxySession session)
    {
        if (Is("listener"))
        {
            throw new InvalidOperationException("listener failing as asked");
        }
    }

    public void SessionTerminated(ProxySession session)
    {
    }

    private bool Is(string where) => _settings.TryGetValue("fail", out var value) && value.Split(',').Contains(where);

    private sealed class BoomValve(bool armed) : IMessageValve
    {
        public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message) =>
            armed && message.Type == WsMessageType.Text && message.GetText() == "boom"
                ? throw new InvalidOperationException("boom")
                : ValueTask.FromResult<WsMessage?>(message);

        public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message) => ValueTask.FromResult<WsMessage?>(message);
    }
}

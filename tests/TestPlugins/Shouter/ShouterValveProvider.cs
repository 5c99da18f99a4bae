using WsBalancer.Sdk;

namespace WsBalancer.TestPlugins.Shouter;

/// <summary>
/// Tags every backend → client text message with the plugin version that handled it ("[1.0.0] hello"), so a test
/// sees which version each session is pinned to. It also counts sessions it has seen, as a listener.
/// </summary>
public sealed class ShouterValveProvider : IValveProvider, ISessionListener
{
    private readonly string _tag;
    private int _created;

    public ShouterValveProvider(IPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _tag = $"[{context.PluginVersion}] ";
    }

    public int Created => Volatile.Read(ref _created);

    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) => [new TagValve(_tag)];

    public void SessionCreated(ProxySession session) => Interlocked.Increment(ref _created);

    public void SessionTerminated(ProxySession session)
    {
    }

    private sealed class TagValve(string tag) : IMessageValve
    {
        public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message) => ValueTask.FromResult<WsMessage?>(message);

        public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message) =>
            ValueTask.FromResult<WsMessage?>(message.Type == WsMessageType.Text ? WsMessage.Text(tag + message.GetText()) : message);
    }
}

using WsBalancer.Sdk;
using WsBalancer.TestPlugins.DependencyLib;

namespace WsBalancer.TestPlugins.NeedsDependency;

/// <summary>Prefixes replies with text from its own dependency (Dependency.Lib.dll), read when it is created.</summary>
public sealed class NeedsDependencyProvider : IValveProvider
{
    private readonly string _prefix = Greeting.Prefix;

    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) => [new PrefixValve(_prefix)];

    private sealed class PrefixValve(string prefix) : IMessageValve
    {
        public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message) => ValueTask.FromResult<WsMessage?>(message);

        public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message) =>
            ValueTask.FromResult<WsMessage?>(message.Type == WsMessageType.Text ? WsMessage.Text(prefix + message.GetText()) : message);
    }
}

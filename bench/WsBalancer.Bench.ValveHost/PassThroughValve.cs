using WsBalancer.Sdk;

namespace WsBalancer.Bench.ValveHost;

/// <summary>Returns every message unchanged in both directions: what remains is the cost of having a valve at all.</summary>
internal sealed class PassThroughValve : IMessageValve
{
    public static readonly PassThroughValve Instance = new();

    public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message) => ValueTask.FromResult<WsMessage?>(message);

    public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message) => ValueTask.FromResult<WsMessage?>(message);
}

using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

// The end a shutdown chooses once its drain timeout passed.
internal sealed partial class BalancerSession
{
    /// <summary>
    /// Ends the session for the shutdown: the pump first forwards what the backend leg already delivered for the
    /// client, then the client gets 1001 "balancer shutting down" and the backend leg is closed.
    /// </summary>
    public void EndForShutdown() => Post(SessionCommand.Shutdown);

    /// <summary>
    /// Forwards what the current leg has already delivered and the pump not yet taken, without waiting for more: the
    /// client should not lose replies the balancer holds because the balancer, not the backend, ends the session.
    /// </summary>
    private async Task DeliverHeldForClientAsync()
    {
        var send = _leg.Send.Reader;
        while (send.TryRead(out var message))
        {
            if (ReferenceEquals(message, WakeSignal))
            {
                continue;
            }

            // A close or loss of the leg ends what it delivered; the session's own close follows anyway.
            if (message.Type is not (WsMessageType.Text or WsMessageType.Binary) || !await ForwardToClientAsync(message, _valves))
            {
                return;
            }
        }
    }
}

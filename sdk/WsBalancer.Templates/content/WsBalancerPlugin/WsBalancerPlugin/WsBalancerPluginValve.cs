using WsBalancer.Sdk;

namespace WsBalancerPlugin;

/// <summary>
/// Upper-cases the text a client sends to its backend, and puts a prefix in front of the text the backend sends back.
/// Binary messages and control signals pass unchanged.
/// </summary>
/// <remarks>
/// One instance serves one session. The balancer never runs two calls of the same direction at once, but the two
/// directions may run at the same time; this valve keeps no mutable state, so that needs no care here.
/// Returning null from either method drops the message (the session goes on), and so does throwing.
/// </remarks>
/// <param name="prefix">Put in front of every text message from the backend; empty to leave replies unchanged.</param>
internal sealed class WsBalancerPluginValve(string prefix) : IMessageValve
{
    /// <summary>Client → backend: text is sent on upper-cased.</summary>
    /// <param name="message">A message from the client (or from the valve before this one).</param>
    /// <returns>The message to send on.</returns>
    public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ValueTask.FromResult<WsMessage?>(
            message.Type == WsMessageType.Text ? WsMessage.Text(message.GetText().ToUpperInvariant()) : message);
    }

    /// <summary>Backend → client: text gets the prefix.</summary>
    /// <param name="message">A message from the backend (or from the valve after this one).</param>
    /// <returns>The message to send on.</returns>
    public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ValueTask.FromResult<WsMessage?>(
            message.Type == WsMessageType.Text && prefix.Length > 0 ? WsMessage.Text(prefix + message.GetText()) : message);
    }
}

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// The usual <see cref="IRelayEvents"/> for one direction of a relay: answers the inbound peer's pings through
/// the opposite pump's outbox (that pump owns the writer back to the peer, RFC 6455 §5.5.2), counts its pongs,
/// and keeps the flushed-message count.
/// </summary>
internal sealed class PongReplies : IRelayEvents
{
    private readonly ControlFrameOutbox _replies;
    private long _pongsReceived;
    private long _messagesFlushed;

    /// <param name="replies">The outbox of the pump that writes back to this direction's inbound peer.</param>
    public PongReplies(ControlFrameOutbox replies) => _replies = replies;

    public long PongsReceived => Volatile.Read(ref _pongsReceived);

    public long MessagesFlushed => Volatile.Read(ref _messagesFlushed);

    // A refused pong (the outbox is closing, or full of pings) is dropped: a closing leg owes no answer.
    public void OnPing(ReadOnlySpan<byte> payload) => _replies.TryEnqueue(WsOpcode.Pong, payload);

    public void OnPong(ReadOnlySpan<byte> payload) => Interlocked.Increment(ref _pongsReceived);

    public void OnMessageWritten(long messagesWritten, long outboundBytes)
    {
    }


    public void OnPeerClose()
    {
    }

    public void OnFlushed(long messagesFlushed) => Volatile.Write(ref _messagesFlushed, messagesFlushed);
}

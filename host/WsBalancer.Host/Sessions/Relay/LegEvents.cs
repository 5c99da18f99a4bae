using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>
/// What the client → backend pump reports: the client's pings are answered on the client leg, whose writer
/// belongs to whichever backend → client pump runs now (a moved session changes it).
/// </summary>
internal sealed class ClientSideEvents(Func<ControlFrameOutbox?> clientOutbox) : IRelayEvents
{
    // Refused (closing, or full of other frames) or no pump writing to the client (between legs): the ping goes
    // unanswered, which RFC 6455 §5.5.3 tolerates for a ping superseded or a connection closing.
    public void OnPing(ReadOnlySpan<byte> payload) => clientOutbox()?.TryEnqueue(WsOpcode.Pong, payload);

    public void OnPong(ReadOnlySpan<byte> payload)
    {
    }

    public void OnMessageWritten(long messagesWritten, long outboundBytes)
    {
    }

    public void OnPeerClose()
    {
    }

    public void OnFlushed(long messagesFlushed)
    {
    }
}

/// <summary>
/// What a backend → client pump reports: the backend's pings are answered on its own leg (through that leg's
/// client → backend pump, once it runs), and its pongs are counted for the keep-alive check.
/// </summary>
internal sealed class BackendSideEvents : IRelayEvents
{
    private readonly Lock _gate = new();
    private RelayPump? _writer;
    private byte[]? _unansweredPing; // the last ping read before a writer existed (RFC 6455 §5.5.3: the latest suffices)
    private long _pongs;
    private int _peerClosed;

    /// <summary>The pump that writes to this backend; set when it starts. One set after the backend's close is abandoned at once.</summary>
    public RelayPump? Writer
    {
        get => Volatile.Read(ref _writer);
        set
        {
            // Full fences on both sides (here and in OnPeerClose): whichever of the writer and the close comes
            // second sees the other, so a close read before the writer started is not lost.
            byte[]? ping;
            lock (_gate)
            {
                Interlocked.Exchange(ref _writer, value);
                ping = value is null ? null : _unansweredPing;
                _unansweredPing = value is null ? _unansweredPing : null;
            }

            if (ping is not null)
            {
                value!.Outbox.TryEnqueue(WsOpcode.Pong, ping); // drained by the pump's first read
            }

            if (value is not null && Volatile.Read(ref _peerClosed) != 0)
            {
                value.Abandon();
            }
        }
    }

    public long Pongs => Interlocked.Read(ref _pongs);

    // The backend pump starts first: a ping read before the writer exists is answered once it is set, not dropped.
    public void OnPing(ReadOnlySpan<byte> payload)
    {
        var writer = Writer;
        if (writer is null)
        {
            lock (_gate)
            {
                writer = _writer;
                if (writer is null)
                {
                    _unansweredPing = payload.ToArray();
                    return;
                }
            }
        }

        writer.Outbox.TryEnqueue(WsOpcode.Pong, payload);
    }

    public void OnPong(ReadOnlySpan<byte> payload) => Interlocked.Increment(ref _pongs);

    public void OnMessageWritten(long messagesWritten, long outboundBytes)
    {
    }

    // As on the message path: nothing more is written to a backend that is closing; what it has not taken stays
    // on the client's pipe for the successor. The backend pump starts first, so the close can come before the
    // writer exists (a backend that closes at once, with the client's first messages already waiting).
    public void OnPeerClose()
    {
        Interlocked.Exchange(ref _peerClosed, 1);
        Writer?.Abandon();
    }

    public void OnFlushed(long messagesFlushed)
    {
    }
}

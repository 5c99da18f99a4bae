using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>Records what a pump reports; optional hooks let a test act at a precise point of the run.</summary>
internal sealed class RecordingEvents : IRelayEvents
{
    private readonly Lock _gate = new();

    public List<byte[]> Pings { get; } = [];

    public List<byte[]> Pongs { get; } = [];

    public List<long> Flushes { get; } = [];

    public Action<long>? AfterFlush { get; init; }

    /// <summary>Called as each whole message is written to the outbound writer (before its batch is flushed).</summary>
    public Action<long>? AfterMessageWritten { get; init; }

    /// <summary>Gets every event after this recorder (e.g. the <see cref="PongReplies"/> a session would use).</summary>
    public IRelayEvents? Next { get; set; }

    public void OnPing(ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            Pings.Add(payload.ToArray());
        }

        Next?.OnPing(payload);
    }

    public void OnPong(ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            Pongs.Add(payload.ToArray());
        }

        Next?.OnPong(payload);
    }

    public List<(long Messages, long OutboundBytes)> MessagesWritten { get; } = [];

    public void OnMessageWritten(long messagesWritten, long outboundBytes)
    {
        lock (_gate)
        {
            MessagesWritten.Add((messagesWritten, outboundBytes));
        }

        Next?.OnMessageWritten(messagesWritten, outboundBytes);
        AfterMessageWritten?.Invoke(messagesWritten);
    }

    public void OnPeerClose()
    {
    }

    public void OnFlushed(long messagesFlushed)
    {
        lock (_gate)
        {
            Flushes.Add(messagesFlushed);
        }

        Next?.OnFlushed(messagesFlushed);
        AfterFlush?.Invoke(messagesFlushed);
    }
}

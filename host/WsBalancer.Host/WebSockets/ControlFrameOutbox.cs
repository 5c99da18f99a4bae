using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Control frames another party (the opposite pump answering a ping, the session pinging or closing) wants sent
/// on a leg whose writer a <see cref="RelayPump"/> owns. A pipe writer allows one writer, so instead of writing
/// the pump is woken (its pending read is cancelled) and writes them itself at the next frame boundary
/// (RFC 6455 §5.4: control frames may go between fragments, never inside a frame).
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="Capacity"/> frames wait. When full, a pong replaces the newest waiting pong
/// (RFC 6455 §5.5.3 allows answering only the most recent ping); anything else is refused. Slots are rented while
/// frames wait and returned once they are written, so an idle leg holds no buffer.
/// </remarks>
internal sealed class ControlFrameOutbox
{
    public const int Capacity = 16;
    private const int SlotBytes = 2 + 125; // opcode, length, payload

    private readonly Lock _gate = new();
    private readonly PipeReader _wake;
    private byte[]? _slots;
    private int _count;
    private bool _closeQueued;

    /// <param name="wake">The owning pump's inbound reader; its pending read is cancelled when a frame is queued.</param>
    public ControlFrameOutbox(PipeReader wake) => _wake = wake;

    /// <summary>True once a close is queued: nothing more is accepted (RFC 6455 §5.5.1: nothing follows a close).</summary>
    public bool IsClosing
    {
        get
        {
            lock (_gate)
            {
                return _closeQueued;
            }
        }
    }

    // Read without the lock once per batch: a frame queued just after a false is not lost, because queuing it also
    // cancels the pump's next read, and the pump checks again after that read.
    internal bool HasPending => Volatile.Read(ref _count) > 0;

    /// <summary>Queues a ping or pong (payload at most 125 bytes; copied).</summary>
    /// <returns>False when the outbox is closing, the payload too long, or the outbox full and the frame is not a pong.</returns>
    public bool TryEnqueue(WsOpcode opcode, ReadOnlySpan<byte> payload)
    {
        if (opcode is not (WsOpcode.Ping or WsOpcode.Pong) || payload.Length > 125)
        {
            return false;
        }

        lock (_gate)
        {
            if (_closeQueued)
            {
                return false;
            }

            int slot;
            if (_count < Capacity)
            {
                slot = _count++;
            }
            else if (opcode == WsOpcode.Pong && (slot = NewestPong()) >= 0)
            {
                // replaces the older answer: only the latest ping needs one
            }
            else
            {
                return false;
            }

            Store(slot, opcode, payload);
        }

        _wake.CancelPendingRead();
        return true;
    }

    /// <summary>Queues a close frame as the last frame this leg will send; the reason is cut to 123 UTF-8 bytes.</summary>
    /// <returns>False when a close is already queued.</returns>
    public bool TryEnqueueClose(WebSocketCloseStatus status, ReadOnlySpan<char> reason)
    {
        Span<byte> payload = stackalloc byte[125];
        var length = FrameWriter.FormatClosePayload(payload, status, reason);
        lock (_gate)
        {
            if (_closeQueued)
            {
                return false;
            }

            _closeQueued = true;
            // A close always has a slot: when full it takes the newest frame's place, staying last in order.
            var slot = _count < Capacity ? _count++ : _count - 1;
            Store(slot, WsOpcode.Close, payload[..length]);
        }

        _wake.CancelPendingRead();
        return true;
    }

    /// <summary>Writes every waiting frame to <paramref name="writer"/> in queue order (called by the owning pump only).</summary>
    /// <param name="bytesWritten">Bytes written to <paramref name="writer"/>; 0 when nothing was waiting.</param>
    /// <returns>True when a close was among them: the pump must send nothing more.</returns>
    internal bool DrainTo(IBufferWriter<byte> writer, bool masked, out int bytesWritten)
    {
        lock (_gate)
        {
            bytesWritten = 0;
            var closeWritten = false;
            for (var i = 0; i < _count; i++)
            {
                var slot = _slots.AsSpan(i * SlotBytes, SlotBytes);
                var opcode = (WsOpcode)slot[0];
                var payloadLength = slot[1];
                FrameWriter.WriteFrame(writer, opcode, slot.Slice(2, payloadLength), fin: true, masked);
                bytesWritten += FrameWriter.HeaderLength(payloadLength, masked) + payloadLength;
                closeWritten |= opcode == WsOpcode.Close;
            }

            _count = 0;
            if (_slots is not null)
            {
                ArrayPool<byte>.Shared.Return(_slots);
                _slots = null;
            }

            return closeWritten;
        }
    }

    private void Store(int slot, WsOpcode opcode, ReadOnlySpan<byte> payload)
    {
        _slots ??= ArrayPool<byte>.Shared.Rent(Capacity * SlotBytes);
        var target = _slots.AsSpan(slot * SlotBytes, SlotBytes);
        target[0] = (byte)opcode;
        target[1] = (byte)payload.Length;
        payload.CopyTo(target[2..]);
    }

    private int NewestPong()
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            if (_slots![i * SlotBytes] == (byte)WsOpcode.Pong)
            {
                return i;
            }
        }

        return -1;
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Relays one direction of a WebSocket session frame by frame, without re-framing: per read it parses every
/// frame in the buffer, validates it as the endpoint must (RFC 6455 §5, §8.1), forwards data frames, and
/// flushes the outbound writer once. Payloads go out as they arrive, so a large frame never waits whole in
/// memory: unmasked inbound to unmasked outbound is a plain copy (the backend's bytes reach the client as they
/// were), masked inbound is re-keyed in the same pass (<c>payload ^ (oldKey ^ newKey)</c>).
/// </summary>
/// <remarks>
/// <para>
/// Strictness: everything valid before an error is forwarded and flushed, and the error is found on the first
/// byte that shows it. Text is validated on its unmasked bytes in the outbound buffer before they are committed
/// (then masked with the outbound key), so invalid UTF-8 stops the frame where it arrives and no scratch buffer
/// is needed. A frame's header is
/// committed together with its first valid payload piece: a frame rejected on its first piece leaves the
/// outbound leg at a frame boundary, where the session can still send a close.
/// </para>
/// <para>
/// Control frames are consumed, never forwarded: pings and pongs go to <see cref="IRelayEvents"/>, a close ends
/// the pump (the session decides what to send). Frames others want sent on the outbound leg go through
/// <see cref="Outbox"/>. Compressed messages (permessage-deflate, RFC 7692) are forwarded without UTF-8
/// validation: that would take inflating them; the session uses the relay for them only when both legs
/// negotiated the same parameters.
/// </para>
/// <para>
/// Memory: the pump holds no buffer of its own (control payloads are copied to the stack), so an idle leg costs
/// only its pipes; per frame it allocates nothing.
/// </para>
/// </remarks>
internal sealed class RelayPump
{
    private readonly PipeReader _inbound;
    private readonly PipeWriter _outbound;
    private readonly RelayPumpOptions _options;
    private readonly IRelayEvents _events;

    private MessageFragmentation _fragmentation;
    private Utf8Validator _utf8;
    private FrameHeader _frame;    // the data frame being forwarded
    private long _frameRemaining;  // of its payload, still to forward
    private long _frameOffset;     // of its payload, forwarded so far (picks the mask key byte)
    private uint _outboundKey;
    private bool _inFrame;
    private bool _headerPending;   // its header is not committed yet (it goes with the first valid piece)
    private bool _validateText;
    private long _messagesWritten;
    private long _messagesFlushed;
    private long _outboundBytes;
    private long _processed;          // inbound bytes parsed and forwarded since the pump started
    private long _released;           // of those, handed back to the inbound reader (AdvanceTo)
    private long _boundary;           // inbound offset just after the last whole message (or control frame between messages)
    private long _messagesAtBoundary; // messages written up to _boundary
    private long _messagesDelivered;
    private long _flushWaitingSince;
    private long _lastActivity;
    private int _stopRequested;
    private int _abandonRequested;
    private bool _outboundUnflushed; // abandoned with frames left in the outbound writer that must never go out

    public RelayPump(PipeReader inbound, PipeWriter outbound, RelayPumpOptions options, IRelayEvents events)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxMessageBytes);
        _inbound = inbound;
        _outbound = outbound;
        _options = options;
        _events = events;
        Outbox = new ControlFrameOutbox(inbound);
    }

    /// <summary>Control frames to send on the outbound leg (pongs for the opposite leg's pings, keep-alive pings, the session's close).</summary>
    public ControlFrameOutbox Outbox { get; }

    /// <summary>Whole messages flushed to the outbound leg so far.</summary>
    public long MessagesFlushed => Volatile.Read(ref _messagesFlushed);

    private bool OutboundMidFrame => (_inFrame && !_headerPending) || _outboundUnflushed;

    // Frames of the current message went out: the outbound leg cannot carry another message until its end.
    private bool OutboundMidMessage => OutboundMidFrame || _fragmentation.InMessage;

    /// <summary>
    /// Asks the pump to end with <see cref="RelayEnd.Stopped"/> at the next message boundary (at once when none is in
    /// progress): a message that has started is forwarded to its end first, so the outbound leg is left between
    /// messages and the inbound reader at the first frame of the next one. This is how the session moves a client's
    /// traffic to another backend without splitting a message. Thread-safe; the pump is woken if it is waiting.
    /// </summary>
    public void RequestStop()
    {
        Volatile.Write(ref _stopRequested, 1);
        _inbound.CancelPendingRead();
    }

    /// <summary>
    /// Asks the pump to end with <see cref="RelayEnd.Abandoned"/> as soon as it can, mid-message if need be: its
    /// outbound leg is being given up (that peer died or is closing, or the session is ending). A read in progress is
    /// cancelled; a flush in progress is not (cancelling it could leave part of a batch in the writer, or part of a
    /// frame on the wire, in front of the close that may follow): the owner drops the outbound connection when that
    /// flush never ends. With <see cref="RelayPumpOptions.HoldUntilFlushed"/>, nothing not yet confirmed is released,
    /// so a successor pump on the same inbound reader starts from the first message that did not reach the socket;
    /// a frame it has begun to send is finished first (its message stays held unless that frame ended it;
    /// <see cref="AbandonNow"/> does not wait), and a batch being parsed when the request comes is otherwise not
    /// flushed at all (the outcome then says <see cref="RelayOutcome.OutboundMidFrame"/>: what it left in the writer
    /// must never go out, nor can a close frame).
    /// </summary>
    public void Abandon()
    {
        Interlocked.CompareExchange(ref _abandonRequested, 1, 0);
        _inbound.CancelPendingRead();
    }

    /// <summary>
    /// Like <see cref="Abandon"/>, without finishing a frame in progress: for a pump whose inbound peer does not
    /// send the rest of that frame in time.
    /// </summary>
    public void AbandonNow()
    {
        Volatile.Write(ref _abandonRequested, 2);
        _inbound.CancelPendingRead();
    }

    // HoldUntilFlushed: a frame whose first bytes are on the wire is finished before an abandon is honoured, so the
    // leg is left between frames, where it can still take a close frame: a FIN (or a reset) instead would make many
    // backends (Kestrel's among them) stop reading, and drop whole messages they had been sent. Its message stays
    // held, and goes whole to the successor.
    private bool MayFinishFrame(bool startedOnTheWire) => startedOnTheWire && _options.HoldUntilFlushed && Volatile.Read(ref _abandonRequested) == 1;

    /// <summary>The <see cref="System.Diagnostics.Stopwatch"/> timestamp at which a flush that did not complete at once began; 0 when none waits.</summary>
    /// <remarks>Only a flush that the outbound transport holds back (its peer is not reading) shows here: the slow-client rule reads it.</remarks>
    public long FlushWaitingSince => Volatile.Read(ref _flushWaitingSince);

    /// <summary>
    /// The <see cref="Environment.TickCount64"/> of the last read that brought a data frame's bytes (with
    /// <see cref="RelayPumpOptions.ControlFramesAreActivity"/>: any frame's bytes); 0 before the first. Written once per
    /// read batch, so the idle timeout costs the hot path one store and no timer.
    /// </summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>
    /// Whole messages delivered: with <see cref="RelayPumpOptions.HoldUntilFlushed"/>, those released after their
    /// flush completed; otherwise those flushed. A message replayed by a successor pump is counted by that one.
    /// </summary>
    public long MessagesDelivered => Volatile.Read(ref _messagesDelivered);

    /// <summary>Gives back what this pump counted against the buffer budget; call once it has ended.</summary>
    public void ReleaseHoldings() => _options.Holdings?.Clear();

    /// <summary>Relays until the inbound peer closes or fails, a queued close is sent, a stop is honoured, or a transport ends. Call once.</summary>
    /// <remarks>
    /// <para>Cancellation propagates as <see cref="OperationCanceledException"/>; cancel only to tear the session down.</para>
    /// <para>
    /// The first read is a cancelled one (<see cref="PipeReader.CancelPendingRead"/>): it returns at once with what
    /// the inbound reader holds, so a pump that takes over from another starts on the bytes its predecessor left
    /// unconsumed without waiting for new ones (a pipe forbids un-examining them).
    /// </para>
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RelayOutcome> RunAsync(CancellationToken cancellationToken)
    {
        _inbound.CancelPendingRead();
        while (true)
        {
            ReadResult read;
            try
            {
                read = await _inbound.ReadAsync(cancellationToken);
            }
            catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
            {
                return Ended(RelayEnd.InboundTruncated);
            }

            var buffer = read.Buffer;
            var frameOnTheWire = _inFrame && !_headerPending; // a frame this pump has begun to send
            if (Volatile.Read(ref _abandonRequested) != 0 && !MayFinishFrame(frameOnTheWire))
            {
                _inbound.AdvanceTo(buffer.Start, buffer.End);
                return Ended(RelayEnd.Abandoned);
            }

            // Bytes already forwarded but held (their message not yet confirmed) lie at the start: skip them.
            var fresh = buffer.Slice(_processed - _released);
            // Control frames queued before this read go out before the data it brought (a pong answers a ping
            // the peer sent before the reply it is waiting for), and those queued meanwhile after it.
            var wrote = false;
            var outcome = DrainOutbox(ref wrote);
            var consumed = fresh.Start;
            if (outcome is null)
            {
                outcome = ProcessBatch(fresh, out consumed, out var batchWrote);
                wrote |= batchWrote;
                if (batchWrote || (_options.ControlFramesAreActivity && !fresh.IsEmpty))
                {
                    Volatile.Write(ref _lastActivity, Environment.TickCount64);
                }

                outcome ??= DrainOutbox(ref wrote);
            }

            if (_options.HoldUntilFlushed && Volatile.Read(ref _abandonRequested) != 0 && !MayFinishFrame(frameOnTheWire))
            {
                // Abandoned while this batch was parsed (the backend's close arrived meanwhile): none of it is
                // flushed or released, so it goes to the successor instead of a backend known to be closing. What
                // it left in the writer must never go out: the leg can only be dropped now.
                _outboundUnflushed = wrote;
                _inbound.AdvanceTo(buffer.Start, buffer.End);
                return Ended(RelayEnd.Abandoned);
            }

            var leftover = !fresh.Slice(consumed).IsEmpty;
            _processed += fresh.Slice(0, consumed).Length;

            if (outcome is null && read.IsCompleted)
            {
                outcome = _inFrame || leftover || _fragmentation.InMessage
                    ? Ended(RelayEnd.InboundTruncated)
                    : new RelayOutcome(RelayEnd.InboundEnded, null, null, false);
            }

            if (wrote)
            {
                var flushed = await FlushAsync(cancellationToken);
                if (!flushed)
                {
                    // Nothing of this batch is released: a successor replays it. Wins over an inbound close or
                    // error found in the same batch: what came before it was not delivered.
                    _inbound.AdvanceTo(buffer.Start, buffer.End);
                    return Volatile.Read(ref _abandonRequested) != 0 ? Ended(RelayEnd.Abandoned) : Ended(RelayEnd.OutboundEnded);
                }

                Volatile.Write(ref _messagesFlushed, _messagesWritten);
                _events.OnFlushed(_messagesWritten);
            }

            // Release: everything processed, or (holding) up to the end of the last whole message, now confirmed.
            var release = _options.HoldUntilFlushed ? _boundary : _processed;
            Volatile.Write(ref _messagesDelivered, _options.HoldUntilFlushed ? _messagesAtBoundary : _messagesWritten);
            // Nothing more can be parsed from what is left (a partial header or control frame): examine it all,
            // so the next read waits for new bytes.
            _inbound.AdvanceTo(buffer.GetPosition(release - _released), buffer.End);
            // What stays on the reader (a message held for a replay, or one not yet whole) counts towards the buffer
            // budget; unchanged between batches (nothing kept, the usual case), it costs nothing.
            _options.Holdings?.Set(buffer.Length - (release - _released));
            _released = release;

            if (outcome is { } end)
            {
                return end;
            }

            if (MayFinishFrame(frameOnTheWire) && !OutboundMidFrame)
            {
                return Ended(RelayEnd.Abandoned); // the frame is finished and flushed; no frame after it was begun
            }
        }
    }

    /// <summary>Writes the frames waiting in <see cref="Outbox"/>, when the outbound leg is between frames; <see cref="RelayEnd.CloseSent"/> once a close went.</summary>
    private RelayOutcome? DrainOutbox(ref bool wrote)
    {
        if (OutboundMidFrame || !Outbox.HasPending)
        {
            return null;
        }

        var closed = Outbox.DrainTo(_outbound, _options.MaskOutbound, out var drained);
        _outboundBytes += drained;
        wrote |= drained > 0;
        return closed ? new RelayOutcome(RelayEnd.CloseSent, null, null, false) : null;
    }

    /// <summary>Flushes the outbound writer; false when the outbound leg is gone, failed or the flush was cancelled.</summary>
    private async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var pending = _outbound.FlushAsync(cancellationToken);
                FlushResult flush;
                if (pending.IsCompleted)
                {
                    flush = pending.Result;
                }
                else
                {
                    Volatile.Write(ref _flushWaitingSince, System.Diagnostics.Stopwatch.GetTimestamp());
                    try
                    {
                        flush = await pending;
                    }
                    finally
                    {
                        Volatile.Write(ref _flushWaitingSince, 0);
                    }
                }

                // A cancellation this pump did not ask for was meant for a predecessor on the same writer (a
                // cancelled flush with none pending cancels the next one): the bytes are still there, flush again.
                if (flush.IsCanceled && Volatile.Read(ref _abandonRequested) == 0)
                {
                    continue;
                }

                return !flush.IsCompleted && !flush.IsCanceled;
            }
        }
        catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
        {
            return false;
        }
    }

    /// <summary>A transport's way of saying it is gone (reset, aborted, disposed), as opposed to the session's own cancellation.</summary>
    private static bool IsTransportFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private RelayOutcome Ended(RelayEnd end) => new(end, null, null, OutboundMidFrame) { OutboundMidMessage = OutboundMidMessage };

    /// <summary>Parses and forwards every complete frame (and every available payload byte) in <paramref name="buffer"/>.</summary>
    /// <returns>Null to go on reading, or how the pump ends.</returns>
    private RelayOutcome? ProcessBatch(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out bool wrote)
    {
        Span<byte> control = stackalloc byte[125];
        var remaining = buffer;
        wrote = false;
        RelayOutcome? outcome = null;
        while (true)
        {
            if (_inFrame)
            {
                if (_frameRemaining > 0)
                {
                    if (remaining.IsEmpty)
                    {
                        break;
                    }

                    var piece = remaining.Slice(0, Math.Min(_frameRemaining, remaining.Length));
                    if (!TryForwardPayload(piece, out var payloadError))
                    {
                        outcome = Failed(payloadError);
                        break;
                    }

                    wrote = true;
                    remaining = remaining.Slice(piece.End);
                    if (_frameRemaining > 0)
                    {
                        break;
                    }
                }

                _inFrame = false;
                if (_frame.Fin)
                {
                    _messagesWritten++;
                    _events.OnMessageWritten(_messagesWritten, _outboundBytes);
                    MarkBoundary(buffer, remaining);
                }

                continue;
            }

            if (!_fragmentation.InMessage && Volatile.Read(ref _stopRequested) != 0)
            {
                outcome = new RelayOutcome(RelayEnd.Stopped, null, null, false);
                break;
            }

            if (_options.HoldUntilFlushed && Volatile.Read(ref _abandonRequested) != 0)
            {
                break; // nothing more of this batch goes to a leg being given up (see RunAsync)
            }

            if (remaining.IsEmpty)
            {
                break;
            }

            var status = FrameHeaderParser.TryParse(remaining, _options.Inbound, out var header, out var error);
            if (status == FrameParseStatus.NeedMoreData)
            {
                break;
            }

            if (status == FrameParseStatus.Error)
            {
                outcome = Failed(error);
                break;
            }

            if (header.IsControl)
            {
                // A control frame is handled whole (at most 139 bytes on the wire), once all of it has arrived.
                var frameLength = header.HeaderLength + header.PayloadLength;
                if (remaining.Length < frameLength)
                {
                    break;
                }

                var payload = control[..(int)header.PayloadLength];
                remaining.Slice(header.HeaderLength, header.PayloadLength).CopyTo(payload);
                WebSocketMask.Apply(payload, header.MaskKey, 0);
                remaining = remaining.Slice(frameLength);
                if (header.Opcode == WsOpcode.Ping)
                {
                    _events.OnPing(payload);
                }
                else if (header.Opcode == WsOpcode.Pong)
                {
                    _events.OnPong(payload);
                }
                else
                {
                    outcome = OnClose(payload);
                    break;
                }

                if (!_fragmentation.InMessage)
                {
                    MarkBoundary(buffer, remaining);
                }

                continue;
            }

            if (_options.WholeMessages && header.Opcode != WsOpcode.Continuation)
            {
                var scan = ScanMessage(remaining, out error);
                if (scan == FrameParseStatus.NeedMoreData)
                {
                    break;
                }

                if (scan == FrameParseStatus.Error)
                {
                    outcome = Failed(error);
                    break;
                }
            }

            if (!_fragmentation.TryStartFrame(header, _options.MaxMessageBytes, out var startsMessage, out error))
            {
                outcome = Failed(error);
                break;
            }

            if (startsMessage)
            {
                _utf8.Reset();
            }

            _validateText = _fragmentation.IsText && !_fragmentation.IsCompressed;
            if (header.PayloadLength == 0 && header.Fin && _validateText && !_utf8.IsComplete)
            {
                outcome = Failed(ProtocolError.InvalidData("text message ends inside a code point"));
                break;
            }

            remaining = remaining.Slice(header.HeaderLength);
            _frame = header;
            _frameRemaining = header.PayloadLength;
            _frameOffset = 0;
            _outboundKey = _options.MaskOutbound ? MaskKeySource.Next() : 0u;
            _inFrame = true;
            _headerPending = true;
            if (header.PayloadLength == 0)
            {
                CommitHeaderAlone();
                wrote = true;
            }
        }

        consumed = remaining.Start;
        return outcome;
    }

    private void MarkBoundary(in ReadOnlySequence<byte> batch, in ReadOnlySequence<byte> remaining)
    {
        _boundary = _processed + (batch.Length - remaining.Length);
        _messagesAtBoundary = _messagesWritten;
    }

    /// <summary>
    /// For <see cref="RelayPumpOptions.WholeMessages"/>: whether the message starting at <paramref name="buffer"/> has
    /// all its frames there, checked as the forwarding will check them (so an invalid frame inside it fails the
    /// inbound leg before any of the message goes out). A message over the size limit is an error at once, so its
    /// bytes are never waited for.
    /// </summary>
    /// <returns><see cref="FrameParseStatus.Header"/> when whole and valid, <see cref="FrameParseStatus.NeedMoreData"/> or <see cref="FrameParseStatus.Error"/>.</returns>
    private FrameParseStatus ScanMessage(ReadOnlySequence<byte> buffer, out ProtocolError error)
    {
        var fragmentation = _fragmentation; // a copy: the scan changes nothing
        while (true)
        {
            var status = FrameHeaderParser.TryParse(buffer, _options.Inbound, out var header, out error);
            if (status != FrameParseStatus.Header)
            {
                return status;
            }

            if (!header.IsControl && !fragmentation.TryStartFrame(header, _options.MaxMessageBytes, out _, out error))
            {
                return FrameParseStatus.Error;
            }

            var frameLength = header.HeaderLength + header.PayloadLength;
            if (buffer.Length < frameLength)
            {
                return FrameParseStatus.NeedMoreData;
            }

            // A close inside the message ends it unfinished: forward what came before (the leg is closing anyway).
            if ((!header.IsControl && header.Fin) || header.Opcode == WsOpcode.Close)
            {
                return FrameParseStatus.Header;
            }

            buffer = buffer.Slice(frameLength);
        }
    }

    /// <summary>Forwards the next payload bytes of the current frame (at most what it has left).</summary>
    private bool TryForwardPayload(in ReadOnlySequence<byte> piece, out ProtocolError error)
    {
        error = default;
        foreach (var segment in piece)
        {
            var source = segment.Span;
            while (!source.IsEmpty)
            {
                var reserve = _headerPending ? FrameWriter.HeaderLength(_frame.PayloadLength, _options.MaskOutbound) : 0;
                var destination = _outbound.GetSpan(reserve + 1);
                var count = Math.Min(destination.Length - reserve, source.Length);
                var payload = destination.Slice(reserve, count);
                if (_validateText)
                {
                    WebSocketMask.Apply(source[..count], payload, _frame.MaskKey, _frameOffset);
                    if (!_utf8.TryAdvance(payload))
                    {
                        error = ProtocolError.InvalidData("invalid UTF-8 in a text message");
                        return false;
                    }

                    if (_frame.Fin && count == _frameRemaining && !_utf8.IsComplete)
                    {
                        error = ProtocolError.InvalidData("text message ends inside a code point");
                        return false;
                    }

                    WebSocketMask.Apply(payload, _outboundKey, _frameOffset);
                }
                else
                {
                    WebSocketMask.Apply(source[..count], payload, _frame.MaskKey ^ _outboundKey, _frameOffset);
                }

                if (reserve > 0)
                {
                    WriteHeader(destination);
                    _headerPending = false;
                }

                _outbound.Advance(reserve + count);
                _outboundBytes += reserve + count;
                _frameOffset += count;
                _frameRemaining -= count;
                source = source[count..];
            }
        }

        return true;
    }

    private void CommitHeaderAlone()
    {
        var length = WriteHeader(_outbound.GetSpan(FrameHeader.MaxLength));
        _outbound.Advance(length);
        _outboundBytes += length;
        _headerPending = false;
    }

    // With minimal length encoding enforced on input, the rewritten header of an unmasked frame is the original byte for byte.
    private int WriteHeader(Span<byte> destination) =>
        FrameWriter.WriteHeader(destination, _frame.Fin, _frame.Rsv, _frame.Opcode, _frame.PayloadLength, _options.MaskOutbound, _outboundKey);

    private RelayOutcome OnClose(ReadOnlySpan<byte> payload)
    {
        if (!ClosePayload.TryRead(payload, out var status, out var reason, out var error))
        {
            return Failed(error);
        }

        _events.OnPeerClose();
        return new RelayOutcome(RelayEnd.PeerClosed, status, reason.IsEmpty ? null : Encoding.UTF8.GetString(reason), false);
    }

    private RelayOutcome Failed(ProtocolError error) =>
        new(RelayEnd.ProtocolError, error.CloseStatus, error.Reason, OutboundMidFrame) { OutboundMidMessage = OutboundMidMessage };
}

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// The message state one leg carries from frame to frame (RFC 6455 §5.4): which data message is in progress,
/// and how large it has grown. Control frames may come between fragments and do not touch it.
/// </summary>
internal struct MessageFragmentation
{
    private long _messageBytes;
    private bool _inMessage;

    /// <summary>The message in progress (or just ended) is text.</summary>
    public bool IsText { readonly get; private set; }

    /// <summary>The message in progress is permessage-deflate compressed (RSV1 on its first frame).</summary>
    public bool IsCompressed { readonly get; private set; }

    /// <summary>True between the first and the final frame of a message.</summary>
    public readonly bool InMessage => _inMessage;

    /// <summary>
    /// Accounts for a data frame's header. <paramref name="maxMessageBytes"/> is checked on the declared length,
    /// so a message that will be too big is refused before any byte of the offending frame is forwarded.
    /// </summary>
    /// <returns>True when the frame may go on; otherwise <paramref name="error"/> says why not.</returns>
    public bool TryStartFrame(in FrameHeader header, long maxMessageBytes, out bool startsMessage, out ProtocolError error)
    {
        error = default;
        startsMessage = header.Opcode != WsOpcode.Continuation;
        if (startsMessage)
        {
            if (_inMessage)
            {
                error = ProtocolError.Protocol("data frame inside a fragmented message");
                return false;
            }

            IsText = header.Opcode == WsOpcode.Text;
            IsCompressed = header.Rsv1;
            _messageBytes = 0;
        }
        else if (!_inMessage)
        {
            error = ProtocolError.Protocol("continuation frame without a message");
            return false;
        }

        // Overflow-safe: both terms are at most 2^63 - 1 and the sum is compared before it can wrap.
        if (header.PayloadLength > maxMessageBytes - _messageBytes)
        {
            error = ProtocolError.TooBig("message over the size limit");
            return false;
        }

        _messageBytes += header.PayloadLength;
        _inMessage = !header.Fin;
        return true;
    }
}

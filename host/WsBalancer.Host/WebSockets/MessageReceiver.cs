using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using WsBalancer.Sdk;

namespace WsBalancer.Host.WebSockets;

/// <summary>How a receive ended.</summary>
internal enum ReceiveStatus
{
    Message,
    Closed,
    TooBig,
}

/// <summary>The result of reading one whole message from a WebSocket.</summary>
internal readonly record struct ReceivedMessage(ReceiveStatus Status, WsMessage? Message);

/// <summary>
/// Reads whole messages from a WebSocket into exactly sized arrays. A message that fits one receive costs one
/// array (the message itself); fragmented ones grow a pooled buffer. Between messages nothing is held. The socket handles pings itself (RFC 6455
/// §5.5.2), so control frames never surface here.
/// </summary>
internal sealed class MessageReceiver
{
    private readonly WebSocket _socket;
    private readonly int _maxMessageBytes;
    private readonly int _chunkBytes;

    /// <param name="socket">The socket to read.</param>
    /// <param name="chunkBytes">Size of the pooled receive buffer.</param>
    /// <param name="maxMessageBytes">Larger messages end the read with <see cref="ReceiveStatus.TooBig"/>.</param>
    public MessageReceiver(WebSocket socket, int chunkBytes, int maxMessageBytes)
    {
        _socket = socket;
        _chunkBytes = Math.Max(chunkBytes, 256);
        _maxMessageBytes = maxMessageBytes;
    }

    /// <summary>Reads the next message. Network failures surface as the socket's own exceptions.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReceivedMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        // A zero-byte receive waits for the next frame without a buffer: an idle session holds none, and a
        // buffer is rented only for the moment a message is being read.
        var header = await _socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        if (header.MessageType == WebSocketMessageType.Close)
        {
            return new ReceivedMessage(ReceiveStatus.Closed, null);
        }

        var type = header.MessageType == WebSocketMessageType.Text ? WsMessageType.Text : WsMessageType.Binary;
        if (header.EndOfMessage)
        {
            return new ReceivedMessage(ReceiveStatus.Message, new WsMessage(type, ReadOnlyMemory<byte>.Empty));
        }

        var chunk = ArrayPool<byte>.Shared.Rent(_chunkBytes);
        try
        {
            var first = await _socket.ReceiveAsync(chunk.AsMemory(), cancellationToken);
            if (first.MessageType == WebSocketMessageType.Close)
            {
                return new ReceivedMessage(ReceiveStatus.Closed, null);
            }

            if (first.EndOfMessage)
            {
                return first.Count > _maxMessageBytes
                    ? new ReceivedMessage(ReceiveStatus.TooBig, null)
                    : new ReceivedMessage(ReceiveStatus.Message, new WsMessage(type, chunk.AsSpan(0, first.Count).ToArray()));
            }

            return await ReceiveFragmentedAsync(type, chunk, first.Count, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async ValueTask<ReceivedMessage> ReceiveFragmentedAsync(WsMessageType type, byte[] chunk, int firstCount, CancellationToken cancellationToken)
    {
        var assembled = ArrayPool<byte>.Shared.Rent(Math.Max(firstCount * 2, _chunkBytes * 2));
        try
        {
            chunk.AsSpan(0, firstCount).CopyTo(assembled);
            var length = firstCount;
            while (true)
            {
                if (length == assembled.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(assembled.Length * 2);
                    assembled.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(assembled);
                    assembled = larger;
                }

                var next = await _socket.ReceiveAsync(assembled.AsMemory(length), cancellationToken);
                if (next.MessageType == WebSocketMessageType.Close)
                {
                    return new ReceivedMessage(ReceiveStatus.Closed, null);
                }

                length += next.Count;
                if (length > _maxMessageBytes)
                {
                    return new ReceivedMessage(ReceiveStatus.TooBig, null);
                }

                if (next.EndOfMessage)
                {
                    return new ReceivedMessage(ReceiveStatus.Message, new WsMessage(type, assembled.AsSpan(0, length).ToArray()));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(assembled);
        }
    }
}

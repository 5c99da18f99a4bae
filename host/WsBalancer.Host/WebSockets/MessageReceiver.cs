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
/// array (the message itself); fragmented ones grow a pooled buffer. The socket handles pings itself (RFC 6455
/// §5.5.2), so control frames never surface here.
/// </summary>
internal sealed class MessageReceiver : IDisposable
{
    private readonly WebSocket _socket;
    private readonly int _maxMessageBytes;
    private readonly int _chunkBytes;
    private byte[]? _chunk;

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
        _chunk ??= ArrayPool<byte>.Shared.Rent(_chunkBytes);
        var first = await _socket.ReceiveAsync(_chunk.AsMemory(), cancellationToken);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return new ReceivedMessage(ReceiveStatus.Closed, null);
        }

        var type = first.MessageType == WebSocketMessageType.Text ? WsMessageType.Text : WsMessageType.Binary;
        if (first.EndOfMessage)
        {
            return first.Count > _maxMessageBytes
                ? new ReceivedMessage(ReceiveStatus.TooBig, null)
                : new ReceivedMessage(ReceiveStatus.Message, new WsMessage(type, _chunk.AsSpan(0, first.Count).ToArray()));
        }

        return await ReceiveFragmentedAsync(type, first.Count, cancellationToken);
    }

    private async ValueTask<ReceivedMessage> ReceiveFragmentedAsync(WsMessageType type, int firstCount, CancellationToken cancellationToken)
    {
        var assembled = ArrayPool<byte>.Shared.Rent(Math.Max(firstCount * 2, _chunkBytes * 2));
        try
        {
            _chunk.AsSpan(0, firstCount).CopyTo(assembled);
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

    public void Dispose()
    {
        var chunk = Interlocked.Exchange(ref _chunk, null);
        if (chunk is not null)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}

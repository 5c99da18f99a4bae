using System.Net.WebSockets;
using System.Text;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>A whole message as a client received it, or the close that ended the connection.</summary>
public sealed record ClientMessage(WebSocketMessageType Type, byte[] Data, WebSocketCloseStatus? CloseStatus, string? CloseReason)
{
    public string Text => Encoding.UTF8.GetString(Data);
}

public static class ClientExtensions
{
    public static Task SendTextAsync(this WebSocket socket, string text, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);

    public static Task SendBinaryAsync(this WebSocket socket, byte[] data, CancellationToken cancellationToken) =>
        socket.SendAsync(data, WebSocketMessageType.Binary, true, cancellationToken);

    /// <summary>Receives one whole message (bounded by the default timeout).</summary>
    /// <param name="limit">How long to wait at most; <see cref="Timeouts.Default"/> when not given.</param>
    public static async Task<ClientMessage> ReceiveMessageAsync(this WebSocket socket, CancellationToken cancellationToken, TimeSpan? limit = null)
    {
        using var timeout = Timeouts.Linked(cancellationToken, limit);
        var buffer = new byte[64 * 1024];
        using var assembled = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new ClientMessage(WebSocketMessageType.Close, [], socket.CloseStatus, socket.CloseStatusDescription);
            }

            assembled.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return new ClientMessage(result.MessageType, assembled.ToArray(), null, null);
            }
        }
    }

    public static async Task<string> ReceiveTextAsync(this WebSocket socket, CancellationToken cancellationToken)
    {
        var message = await socket.ReceiveMessageAsync(cancellationToken);
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        return message.Text;
    }

    /// <summary>Sends a text and expects the same text back.</summary>
    public static async Task AssertEchoAsync(this WebSocket socket, string text, CancellationToken cancellationToken)
    {
        await socket.SendTextAsync(text, cancellationToken);
        Assert.Equal(text, await socket.ReceiveTextAsync(cancellationToken));
    }

    /// <summary>Sends <paramref name="text"/> and expects <paramref name="reply"/> back (a valve changed the echo).</summary>
    public static async Task AssertReplyAsync(this WebSocket socket, string text, string reply, CancellationToken cancellationToken)
    {
        await socket.SendTextAsync(text, cancellationToken);
        Assert.Equal(reply, await socket.ReceiveTextAsync(cancellationToken));
    }
}

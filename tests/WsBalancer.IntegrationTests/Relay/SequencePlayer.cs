using System.Net.WebSockets;
using Bogus;
using WsBalancer.IntegrationTests.Conformance;
using RawWebSocketClient = WsBalancer.IntegrationTests.Conformance.RawWebSocketClient;

namespace WsBalancer.IntegrationTests.Relay;

/// <summary>The two clients a sequence is played with.</summary>
public enum SequenceClient
{
    /// <summary>The runtime's <see cref="ClientWebSocket"/>: each piece one <c>SendAsync</c>, <c>endOfMessage</c> on the last; no pings.</summary>
    ClientWebSocket,

    /// <summary>The raw RFC 6455 client: each piece one frame, pings and pongs between frames, writes coalesced or chopped at random.</summary>
    RawFrames,
}

/// <summary>
/// Plays a <see cref="MessageSequence"/> against an echo server (the balancer, or an echo backend directly) while
/// reading what comes back, closes with the sequence's code and reason, and returns the <see cref="EchoTranscript"/>.
/// </summary>
internal static class SequencePlayer
{
    public static Task<EchoTranscript> PlayAsync(SequenceClient client, Uri server, string target, MessageSequence sequence, string what, CancellationToken cancellationToken) =>
        client == SequenceClient.ClientWebSocket
            ? PlayWithClientWebSocketAsync(server, target, sequence, cancellationToken)
            : PlayWithRawFramesAsync(server, target, sequence, what, cancellationToken);

    /// <summary>Sends one message piece by piece, calling <paramref name="afterFirstPiece"/> once its first piece is out.</summary>
    public static async Task SendAsync(WebSocket socket, SequenceMessage message, CancellationToken cancellationToken, Func<Task>? afterFirstPiece = null)
    {
        for (var i = 0; i < message.Pieces.Count; i++)
        {
            await socket.SendAsync(message.PieceBytes(message.Pieces[i]), message.Type, i == message.Pieces.Count - 1, cancellationToken);
            if (i == 0 && afterFirstPiece is not null)
            {
                await afterFirstPiece();
            }
        }
    }

    private static async Task<EchoTranscript> PlayWithClientWebSocketAsync(Uri server, string target, MessageSequence sequence, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        using var timeout = Timeouts.Linked(cancellationToken);
        await socket.ConnectAsync(new Uri(server, target), timeout.Token);
        var receiving = ReceiveUntilCloseAsync(socket, timeout.Token);
        foreach (var message in sequence.Messages)
        {
            await SendAsync(socket, message, timeout.Token);
        }

        await socket.CloseOutputAsync((WebSocketCloseStatus)sequence.CloseCode, sequence.CloseReason, timeout.Token);
        var messages = await receiving;
        return new EchoTranscript(messages, [], (int?)socket.CloseStatus, socket.CloseStatusDescription ?? string.Empty);
    }

    private static async Task<List<(WebSocketMessageType, byte[])>> ReceiveUntilCloseAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var messages = new List<(WebSocketMessageType, byte[])>();
        while (await socket.ReceiveMessageAsync(cancellationToken) is { Type: not WebSocketMessageType.Close } message)
        {
            messages.Add((message.Type, message.Data));
        }

        return messages;
    }

    private static async Task<EchoTranscript> PlayWithRawFramesAsync(Uri server, string target, MessageSequence sequence, string what, CancellationToken cancellationToken)
    {
        await using var client = await RawWebSocketClient.ConnectAsync(server, target, cancellationToken);
        var reading = client.ReadUntilClosedAsync(cancellationToken, answerClose: false);
        var frames = sequence.Messages.SelectMany(Frames).ToList();
        // A seed of its own for how the frames are written, so the same sequence is written the same way every time.
        var writes = new Randomizer(sequence.Seed ^ 0x5EED);
        for (var next = 0; next < frames.Count;)
        {
            var batch = frames.GetRange(next, Math.Min(writes.Int(1, 6), frames.Count - next));
            next += batch.Count;
            var bytes = batch.Sum(f => f.Payload.Length + 14);
            var sent = writes.Int(0, 9) switch
            {
                < 6 => await client.SendAsync(batch, cancellationToken),
                < 8 => await SendEachAsync(client, batch, cancellationToken),
                _ => await client.SendChoppedAsync(batch, Math.Max(writes.Int(1, 700), bytes / 64), cancellationToken),
            };
            Assert.True(sent, $"{what}: the connection was closed while frames were still being sent");
        }

        Assert.True(await client.SendAsync(OutgoingFrame.OfClose(sequence.CloseCode, sequence.CloseReason), cancellationToken), $"{what}: closed before the client's close");
        var transcript = await reading;
        CheckFrames(transcript, what);
        return new EchoTranscript(
            [.. transcript.Messages.Select(m => (m.Opcode == OutgoingFrame.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, m.Payload))],
            transcript.Pongs,
            transcript.Close?.CloseCode,
            transcript.Close?.CloseReason ?? string.Empty);
    }

    /// <summary>Each piece as a frame of its own, after the control frames that go before it.</summary>
    private static IEnumerable<OutgoingFrame> Frames(SequenceMessage message)
    {
        var opcode = message.Type == WebSocketMessageType.Text ? OutgoingFrame.Text : OutgoingFrame.Binary;
        for (var i = 0; i < message.Pieces.Count; i++)
        {
            var piece = message.Pieces[i];
            foreach (var control in piece.ControlBefore)
            {
                yield return control;
            }

            yield return new OutgoingFrame(i == 0 ? opcode : OutgoingFrame.Continuation, message.PieceBytes(piece).ToArray()) { Fin = i == message.Pieces.Count - 1 };
        }
    }

    private static async Task<bool> SendEachAsync(RawWebSocketClient client, List<OutgoingFrame> frames, CancellationToken cancellationToken)
    {
        foreach (var frame in frames)
        {
            if (!await client.SendAsync(frame, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>What a server may send (§5.1, §5.2, §5.4, §5.5): checked on every frame, whatever the content.</summary>
    private static void CheckFrames(Transcript transcript, string what)
    {
        var inMessage = false;
        foreach (var frame in transcript.BeforeClose)
        {
            ConformanceSteps.AssertServerFrame(frame);
            if (frame.Opcode < 0x8)
            {
                Assert.True(inMessage == (frame.Opcode == OutgoingFrame.Continuation), $"{what}: {frame} {(inMessage ? "inside" : "outside")} a message");
                inMessage = !frame.Fin;
            }
        }

        Assert.NotNull(transcript.Close);
        Assert.True(transcript.AfterClose.Count == 0, $"{what}: frames after the close: {transcript}");
        Assert.True(transcript.End == TcpEnd.Closed, $"{what}: the TCP connection ended {transcript.End} after the close");
    }
}

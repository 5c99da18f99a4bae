namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>The steps and verdicts the conformance tests share, so each test reads as the case it performs.</summary>
internal static class ConformanceSteps
{
    /// <summary>Reads one whole data message (fragments joined, pongs skipped); fails on a close or a dropped connection.</summary>
    public static async Task<(byte Opcode, byte[] Payload)> ExpectMessageAsync(this RawWebSocketClient client, CancellationToken cancellationToken)
    {
        var parts = new List<WireFrame>();
        while (true)
        {
            var frame = await client.ReceiveFrameAsync(cancellationToken);
            Assert.NotNull(frame);
            Assert.False(frame.IsClose, $"expected a message, got {frame}");
            AssertServerFrame(frame);
            if (frame.Opcode >= 0x8)
            {
                continue;
            }

            Assert.Equal(parts.Count == 0, frame.Opcode != OutgoingFrame.Continuation); // §5.4: only the first fragment has the type
            parts.Add(frame);
            if (frame.Fin)
            {
                return (parts[0].Opcode, [.. parts.SelectMany(p => p.Payload)]);
            }
        }
    }

    /// <summary>Reads the next frame, which must be a pong.</summary>
    public static async Task<byte[]> ExpectPongAsync(this RawWebSocketClient client, CancellationToken cancellationToken)
    {
        var frame = await client.ReceiveFrameAsync(cancellationToken);
        Assert.NotNull(frame);
        Assert.Equal(OutgoingFrame.Pong, frame.Opcode);
        AssertServerFrame(frame);
        return frame.Payload;
    }

    /// <summary>
    /// Closes with <paramref name="code"/> and checks the close handshake: nothing else arrives, the balancer answers
    /// with a close (§5.5.1) carrying the same code, and then closes the TCP connection (§7.1.1).
    /// </summary>
    public static async Task ExpectCleanCloseAsync(this RawWebSocketClient client, CancellationToken cancellationToken, int code = 1000)
    {
        var transcript = await client.CloseAsync(code, cancellationToken);
        AssertCleanClose(transcript, code);
    }

    /// <summary>A close handshake answered with <paramref name="code"/>, and no frame but the close.</summary>
    public static void AssertCleanClose(Transcript transcript, int code)
    {
        Assert.Empty(transcript.BeforeClose);
        Assert.NotNull(transcript.Close);
        Assert.Equal(code, transcript.Close.CloseCode);
        Assert.Empty(transcript.AfterClose);
        Assert.Equal(TcpEnd.Closed, transcript.End); // nothing was left unread on either side: an orderly TCP close
    }

    /// <summary>
    /// §7.1.7: the balancer failed the connection: it sent a close with <paramref name="code"/> (or, where
    /// <paramref name="dropAllowed"/>, closed TCP without one), sent nothing after it, and closed the TCP connection.
    /// </summary>
    public static void AssertFailed(Transcript transcript, int code, bool dropAllowed = false)
    {
        if (transcript.Close is null)
        {
            Assert.True(dropAllowed, $"expected a close with {code}, the connection was dropped after: {transcript}");
        }
        else
        {
            Assert.Equal(code, transcript.Close.CloseCode);
            AssertServerFrame(transcript.Close);
        }

        Assert.Empty(transcript.AfterClose);
        Assert.NotEqual(TcpEnd.ClosedMidFrame, transcript.End); // a reset is fine: the balancer may leave our bytes unread
    }

    /// <summary>§5.1, §5.2, §5.5: a server never masks, sets no RSV bit without an extension, and never fragments a control frame.</summary>
    public static void AssertServerFrame(WireFrame frame)
    {
        Assert.False(frame.Masked, $"masked server frame {frame}");
        Assert.Equal(0, frame.Rsv);
        Assert.True(frame.Opcode < 0x8 || (frame.Fin && frame.Payload.Length <= 125), $"bad control frame {frame}");
    }
}

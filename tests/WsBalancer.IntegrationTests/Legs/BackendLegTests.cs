using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Text;
using Bogus;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Upstream;
using WsBalancer.Host.Upstream.Handshake;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.IntegrationTests.Legs;

/// <summary>The backend leg: <see cref="PipeBackendDialer"/> against real and scripted backends.</summary>
public sealed class BackendLegTests
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly FrameRules FromServer = new(RequireMask: false, PerMessageDeflate: false);

    private readonly Faker _faker = new();
    private readonly PipeBackendDialer _dialer = new();

    [Fact]
    public async Task DialAsync_EchoBackend_FramesGoBothWays()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var leg = await _dialer.DialAsync(new Uri(backend.Url, "/echo?x=1"), new Dictionary<string, string[]>(), HandshakeTimeout, timeout.Token);

        var binary = _faker.Random.Bytes(200 * 1024);
        FrameWriter.WriteFrame(leg.Transport.Output, WsOpcode.Text, "through the pipe"u8, fin: true, masked: true);
        FrameWriter.WriteFrame(leg.Transport.Output, WsOpcode.Binary, binary, fin: true, masked: true);
        await leg.Transport.Output.FlushAsync(timeout.Token);

        var (textHeader, text) = await ReadFrameAsync(leg.Transport.Input, timeout.Token);
        var (binaryHeader, echoed) = await ReadFrameAsync(leg.Transport.Input, timeout.Token);
        Assert.Equal((WsOpcode.Text, true, false, "through the pipe"), (textHeader.Opcode, textHeader.Fin, textHeader.Masked, Encoding.UTF8.GetString(text)));
        Assert.Equal(WsOpcode.Binary, binaryHeader.Opcode);
        Assert.True(binary.AsSpan().SequenceEqual(echoed), "the 200 KiB echo differs");

        var connection = Assert.Single(backend.Connections);
        Assert.Equal("/echo?x=1", connection.Target);
        Assert.Equal(["through the pipe"], connection.Received.Where(f => f.Type == WebSocketMessageType.Text).Select(f => f.Text));

        // The close handshake runs over the same pipes.
        FrameWriter.WriteClose(leg.Transport.Output, WebSocketCloseStatus.NormalClosure, "bye", masked: true);
        await leg.Transport.Output.FlushAsync(timeout.Token);
        var (closeHeader, closePayload) = await ReadFrameAsync(leg.Transport.Input, timeout.Token);
        Assert.Equal(WsOpcode.Close, closeHeader.Opcode);
        Assert.Equal([0x03, 0xE8], closePayload.Take(2)); // 1000
    }

    [Fact]
    public async Task DialAsync_ForwardedAndReconnectHeaders_ArriveAsWithTodaysDial()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.Subprotocols = ["v2.chat"];
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["X-Forwarded-For"] = ["203.0.113.7"],
            ["X-Balancer-Reconnect"] = ["1"],
            ["Sec-WebSocket-Protocol"] = ["v1.chat, v2.chat"],
            ["Cookie"] = ["a=1; b=2"],
            ["X-Twice"] = ["one", "two"],
            ["X-Injected"] = ["bad\r\nX-Evil: 1"], // left out by today's request builder, reported as skipped
            ["Host"] = ["client.example"],        // never forwarded: ours is written
        };
        var url = new Uri(backend.Url, "/room/7?user=ann");

        var today = await BackendHandshake.ConnectAsync(url, headers, TimeSpan.FromSeconds(30), timeout.Token);
        today.Socket.Abort();
        today.Socket.Dispose();
        await using var leg = await _dialer.DialAsync(url, headers, HandshakeTimeout, timeout.Token);
        await backend.WaitForConnectionsAsync(2, timeout.Token);

        var (viaWebSocket, viaPipe) = (backend.Connections[0], backend.Connections[1]);
        Assert.Equal(viaWebSocket.Target, viaPipe.Target);
        Assert.Equal(WithoutKey(viaWebSocket.Headers), WithoutKey(viaPipe.Headers));
        Assert.Equal("1", viaPipe.Headers["X-Balancer-Reconnect"]);
        Assert.Equal(viaWebSocket.OfferedSubprotocols, viaPipe.OfferedSubprotocols);
        Assert.Equal(("v2.chat", "v2.chat"), (today.Socket.SubProtocol, leg.Subprotocol));
        Assert.Equal(today.SkippedHeaders, leg.SkippedHeaders);
        Assert.Equal(["X-Injected"], leg.SkippedHeaders);
    }

    [Fact]
    public async Task DialAsync_BackendDeclinesWith403_FailsWithTheStatus()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.DeclineStatus = 403;

        var failure = await Assert.ThrowsAsync<HandshakeException>(() => _dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), HandshakeTimeout, timeout.Token));

        Assert.Equal(403, failure.StatusCode);
        Assert.Equal("the backend answered 403 instead of 101", failure.Message);
    }

    public static TheoryData<string, string, int, string> BadReplies => new()
    {
        { "wrong accept", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n\r\n", 101, "Sec-WebSocket-Accept does not match" },
        { "unoffered subprotocol", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: other\r\n\r\n", 101, "subprotocol 'other', which was not offered" },
        { "no upgrade", "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {accept}\r\n\r\n", 101, "does not upgrade to websocket" },
        { "oversized head", "HTTP/1.1 101 Switching Protocols\r\nX-Big: " + new string('a', 80 * 1024) + "\r\n\r\n", 0, "larger than 64 KiB" },
        { "endless head", "HTTP/1.1 101 Switching Protocols\r\nX-Big: " + new string('a', 100 * 1024), 0, "larger than 64 KiB" },
        { "not http", "SSH-2.0-OpenSSH_9.6\r\n\r\n", 0, "did not answer with an HTTP/1.1 status line" },
    };

    [Theory]
    [MemberData(nameof(BadReplies))]
    public async Task DialAsync_BadReply_FailsWithTodaysReason(string label, string reply, int status, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = new ScriptedBackend(key => Encoding.ASCII.GetBytes(reply.Replace("{accept}", RawWebSocketProtocol.AcceptFor(key), StringComparison.Ordinal)));

        var failure = await Assert.ThrowsAsync<HandshakeException>(() => _dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), HandshakeTimeout, timeout.Token));

        Assert.True(failure.StatusCode == status, $"{label}: status {failure.StatusCode}");
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DialAsync_BackendClosesWithoutAnswer_Fails()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = new ScriptedBackend(_ => [], closeAfterReply: true);

        var failure = await Assert.ThrowsAsync<HandshakeException>(() => _dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), HandshakeTimeout, timeout.Token));

        Assert.Equal((0, "the backend closed the connection during the handshake"), (failure.StatusCode, failure.Message));
    }

    [Fact]
    public async Task DialAsync_BackendNeverAnswers_TimesOutAfterTheHandshakeTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = new ScriptedBackend(_ => null);
        var handshakeTimeout = TimeSpan.FromMilliseconds(300);
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<TimeoutException>(() => _dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), handshakeTimeout, timeout.Token));

        Assert.InRange(clock.Elapsed, handshakeTimeout - TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task DialAsync_InjectedClockPassesTheHandshakeTimeout_TimesOutThenAndNotBefore()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = new ScriptedBackend(_ => null);
        var time = new FakeTimeProvider();
        var dialer = new PipeBackendDialer(time: time);

        var dial = dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), TimeSpan.FromSeconds(10), timeout.Token);
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(dial.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));

        await Assert.ThrowsAsync<TimeoutException>(() => dial);
    }

    [Fact]
    public async Task DialAsync_CallerCancels_ThrowsOperationCanceledNotTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = new ScriptedBackend(_ => null);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(ct);
        caller.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), HandshakeTimeout, caller.Token));
    }

    [Fact]
    public async Task DialAsync_FrameInTheSameWriteAsThe101_IsInThePipe()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = new ScriptedBackend(key =>
        [
            .. Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {RawWebSocketProtocol.AcceptFor(key)}\r\nX-Node: n7\r\n\r\n"),
            0x81, 5, .. "hello"u8,
            0x82, 2, 0xCA, 0xFE,
        ]);

        await using var leg = await _dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), HandshakeTimeout, timeout.Token);

        Assert.Equal("n7", leg.Response.Get("X-Node"));
        var (first, text) = await ReadFrameAsync(leg.Transport.Input, timeout.Token);
        var (second, binary) = await ReadFrameAsync(leg.Transport.Input, timeout.Token);
        Assert.Equal((WsOpcode.Text, "hello"), (first.Opcode, Encoding.UTF8.GetString(text)));
        Assert.Equal(WsOpcode.Binary, second.Opcode);
        Assert.Equal([0xCA, 0xFE], binary);
    }

    [Fact]
    public async Task DialAsync_WssBackend_FramesGoBothWaysWithSniForTheHost()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = await TlsEchoBackend.StartAsync(ct);
        // The self-signed certificate is its own authority: trusting it is what upstream.tls.ca-file does for a private CA.
        var dialer = new PipeBackendDialer(BackendTrust.FromAuthorities([backend.Certificate]));

        await using var leg = await dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), HandshakeTimeout, timeout.Token);
        var payload = _faker.Random.Bytes(100 * 1024);
        FrameWriter.WriteFrame(leg.Transport.Output, WsOpcode.Binary, payload, fin: true, masked: true);
        await leg.Transport.Output.FlushAsync(timeout.Token);
        // The TLS backend echoes each read as it comes (a 100 KiB message as several frames).
        var (opcode, echoed) = await ReadMessageAsync(leg.Transport.Input, timeout.Token);

        Assert.Equal("localhost", backend.LastServerName);
        Assert.Equal(WsOpcode.Binary, opcode);
        Assert.True(payload.AsSpan().SequenceEqual(echoed), "the echo over TLS differs");
    }

    [Fact]
    public async Task DialAsync_WssBackendWithUntrustedCertificate_FailsTlsByDefault()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var backend = await TlsEchoBackend.StartAsync(ct);

        // No callback: the system trust store decides, as for today's dial, and a self-signed certificate is not in it.
        await Assert.ThrowsAsync<AuthenticationException>(() => _dialer.DialAsync(backend.Url, new Dictionary<string, string[]>(), HandshakeTimeout, timeout.Token));
    }

    private static Dictionary<string, string> WithoutKey(IReadOnlyDictionary<string, string> headers) =>
        headers.Where(h => !h.Key.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase)).ToDictionary(StringComparer.OrdinalIgnoreCase);

    private static async Task<(WsOpcode Opcode, byte[] Payload)> ReadMessageAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var (first, payload) = await ReadFrameAsync(input, cancellationToken);
        var message = new List<byte>(payload);
        var fin = first.Fin;
        while (!fin)
        {
            var (next, more) = await ReadFrameAsync(input, cancellationToken);
            Assert.Equal(WsOpcode.Continuation, next.Opcode);
            message.AddRange(more);
            fin = next.Fin;
        }

        return (first.Opcode, [.. message]);
    }

    /// <summary>Reads one whole unmasked frame from a backend leg (bounded by the caller's token).</summary>
    private static async Task<(FrameHeader Header, byte[] Payload)> ReadFrameAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var status = FrameHeaderParser.TryParse(buffer, FromServer, out var header, out var error);
            Assert.True(status != FrameParseStatus.Error, $"invalid frame from the backend: {error}");
            if (status == FrameParseStatus.Header && buffer.Length >= header.HeaderLength + header.PayloadLength)
            {
                var payload = buffer.Slice(header.HeaderLength, header.PayloadLength).ToArray();
                input.AdvanceTo(buffer.GetPosition(header.HeaderLength + header.PayloadLength));
                return (header, payload);
            }

            if (result.IsCompleted)
            {
                throw new EndOfStreamException("the backend leg ended inside a frame");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}

using System.Buffers;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Bogus;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.IntegrationTests.Legs;

/// <summary>The client leg: <see cref="PipeUpgrade"/> on real Kestrel, driven by real clients.</summary>
public sealed class ClientLegTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task UpgradeAsync_MessagesOf0To200KiB_EchoedOverThePipe()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var server = await PipeEchoServer.StartAsync(new PipeEchoOptions(), ct);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(Ws(server.Url), timeout.Token);

        // The frame relay's boundaries (7-, 16- and 64-bit lengths) and random sizes up to 200 KiB.
        int[] sizes = [0, 1, 125, 126, 65535, 65536, 200 * 1024, .. Enumerable.Range(0, 12).Select(_ => _faker.Random.Int(0, 200 * 1024))];
        var buffer = new byte[256 * 1024];
        foreach (var size in sizes)
        {
            var text = _faker.Random.Bool();
            var payload = text ? Encoding.UTF8.GetBytes(_faker.Random.String2(size, "abcxyz 0123é€")) : _faker.Random.Bytes(size);
            var type = text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            await client.SendAsync(payload, type, endOfMessage: true, timeout.Token);

            var (receivedType, received) = await ReceiveMessageAsync(client, buffer, timeout.Token);
            Assert.Equal(type, receivedType);
            Assert.True(payload.AsSpan().SequenceEqual(received.Span), $"echo of a {payload.Length}-byte {type} message differs");
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        Assert.Equal([PipeUpgradeRefusal.None], server.Refusals);
        Assert.Equal((RelayEnd.PeerClosed, WebSocketCloseStatus.NormalClosure), (Assert.Single(server.Outcomes).End, server.Outcomes[0].CloseStatus));
        server.ThrowIfFailed();

        // Kestrel tears down a connection whose pipes the app completed without a word.
        await server.DisposeAsync();
        Assert.Empty(server.LoggedWarnings);
    }

    [Fact]
    public async Task UpgradeAsync_HttpsListener_EchoedOverThePipesBehindTls()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        using var certificate = TlsEchoBackend.CreateCertificate();
        await using var server = await PipeEchoServer.StartAsync(new PipeEchoOptions(), ct, certificate: certificate);
        using var client = new ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
        var payload = _faker.Random.Bytes(150 * 1024);

        await client.ConnectAsync(new UriBuilder(server.Url) { Scheme = "wss" }.Uri, timeout.Token);
        await client.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        var (type, echoed) = await ReceiveMessageAsync(client, new byte[256 * 1024], timeout.Token);

        Assert.Equal([PipeUpgradeRefusal.None], server.Refusals);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.True(payload.AsSpan().SequenceEqual(echoed.Span), "the echo over TLS differs");
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        server.ThrowIfFailed();
    }

    [Fact]
    public async Task UpgradeAsync_FirstFrameInTheSameWriteAsTheRequest_IsEchoed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var server = await PipeEchoServer.StartAsync(new PipeEchoOptions(), ct);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.Url.Host, server.Url.Port, timeout.Token);
        var stream = tcp.GetStream();

        var key = RawWebSocketProtocol.NewKey();
        var bytes = new ArrayBufferWriter<byte>();
        bytes.Write(Encoding.ASCII.GetBytes(
            $"GET /first HTTP/1.1\r\nHost: {server.Url.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"));
        FrameWriter.WriteFrame(bytes, WsOpcode.Text, "sent with the request"u8, fin: true, masked: true);
        FrameWriter.WriteFrame(bytes, WsOpcode.Binary, [1, 2, 3], fin: true, masked: true);
        // One write, well under one segment with Nagle off: the frames reach Kestrel in the request's own read.
        await stream.WriteAsync(bytes.WrittenMemory, timeout.Token);

        var response = await RawWebSocketProtocol.ReadHeadAsync(stream, timeout.Token);
        Assert.StartsWith("HTTP/1.1 101", response.StartLine, StringComparison.Ordinal);
        Assert.Equal(RawWebSocketProtocol.AcceptFor(key), response.Value("Sec-WebSocket-Accept"));
        var first = await RawWebSocketProtocol.ReadFrameAsync(stream, timeout.Token);
        var second = await RawWebSocketProtocol.ReadFrameAsync(stream, timeout.Token);

        Assert.Equal((RawOpcode.Text, false, "sent with the request"), (first.Opcode, first.Masked, first.Text));
        Assert.Equal((RawOpcode.Binary, false), (second.Opcode, second.Masked));
        Assert.Equal([1, 2, 3], second.Payload);
        server.ThrowIfFailed();
    }

    [Theory]
    [InlineData("chat, superchat", "superchat", "superchat")]
    [InlineData("chat", "other", null)]
    [InlineData(null, "chat", null)]
    public async Task UpgradeAsync_Subprotocol_AnsweredAsByTodaysAccept(string? offered, string supported, string? expected)
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        var passHeaders = new Dictionary<string, string[]>
        {
            ["X-Backend-Node"] = ["n1"],
            ["X-Twice"] = ["a", "b"],
            ["X-Not-Ascii"] = ["caf\u00e9"], // Kestrel refuses it in a response: left out on both paths
        };
        await using var pipePath = await PipeEchoServer.StartAsync(new PipeEchoOptions { Subprotocols = [supported], PassHeaders = passHeaders }, ct);
        await using var messagePath = await PipeEchoServer.StartAsync(new PipeEchoOptions { Subprotocols = [supported], PassHeaders = passHeaders, ForceMessagePath = true }, ct);
        KeyValuePair<string, string>[] offer = offered is null ? [] : [new("Sec-WebSocket-Protocol", offered)];

        await using var viaPipe = await RawWebSocketClient.ConnectAsync(pipePath.Url, "/p", timeout.Token, offer);
        await using var viaMessages = await RawWebSocketClient.ConnectAsync(messagePath.Url, "/p", timeout.Token, offer);

        Assert.Equal(expected, viaPipe.Response.Value("Sec-WebSocket-Protocol"));
        Assert.Equal(Comparable(viaMessages.Response), Comparable(viaPipe.Response));
        Assert.Equal(["X-Not-Ascii"], pipePath.LastSkipped);

        // The pipe path's socket works after that 101.
        await viaPipe.SendTextAsync("after the 101", timeout.Token);
        Assert.Equal("after the 101", (await viaPipe.ReceiveFrameAsync(timeout.Token)).Text);
        pipePath.ThrowIfFailed();
        messagePath.ThrowIfFailed();
    }

    [Fact]
    public async Task UpgradeAsync_PermessageDeflateOfferedWithCompressionOn_FallsBackToTheMessagePath()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var server = await PipeEchoServer.StartAsync(new PipeEchoOptions { Compression = true }, ct);
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.CollectHttpResponseDetails = true;
        await client.ConnectAsync(Ws(server.Url), timeout.Token);

        Assert.Equal([PipeUpgradeRefusal.CompressionOffered], server.Refusals);
        Assert.Contains("permessage-deflate", string.Join(",", client.HttpResponseHeaders!["Sec-WebSocket-Extensions"]), StringComparison.Ordinal);
        await client.SendAsync("compressed"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var (_, echoed) = await ReceiveMessageAsync(client, new byte[64], timeout.Token);
        Assert.Equal("compressed", Encoding.UTF8.GetString(echoed.Span));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        server.ThrowIfFailed();
    }

    [Fact]
    public async Task UpgradeAsync_PermessageDeflateOfferedWithCompressionOff_DeclinedOnThePipePath()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var server = await PipeEchoServer.StartAsync(new PipeEchoOptions { Compression = false }, ct);
        using var client = new ClientWebSocket();
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        client.Options.CollectHttpResponseDetails = true;
        await client.ConnectAsync(Ws(server.Url), timeout.Token);

        // As AcceptWebSocketAsync does with compression off: the offer is left unanswered, and frames are plain.
        Assert.Equal([PipeUpgradeRefusal.None], server.Refusals);
        Assert.False(client.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"));
        await client.SendAsync("plain"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var (_, echoed) = await ReceiveMessageAsync(client, new byte[64], timeout.Token);
        Assert.Equal("plain", Encoding.UTF8.GetString(echoed.Span));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        server.ThrowIfFailed();
    }

    [Fact]
    public async Task UpgradeAsync_PlainHttpRequest_RefusedWithoutAnswering()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var server = await PipeEchoServer.StartAsync(new PipeEchoOptions(), ct);
        using var http = new HttpClient();

        using var response = await http.GetAsync(server.Url, timeout.Token);

        // The refusal left the response untouched: the fallback's 400 is what the client gets.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([PipeUpgradeRefusal.NotWebSocketRequest], server.Refusals);
    }

    [Fact]
    public async Task UpgradeAsync_WebSocketOverHttp2_RefusedAsNotHttp11AndServedByTheMessagePath()
    {
        var ct = TestContext.Current.CancellationToken;
        using var timeout = Timeouts.Linked(ct);
        await using var server = await PipeEchoServer.StartAsync(new PipeEchoOptions(), ct, HttpProtocols.Http2);
        using var handler = new SocketsHttpHandler();
        using var invoker = new HttpMessageInvoker(handler);
        using var client = new ClientWebSocket();
        client.Options.HttpVersion = HttpVersion.Version20;
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        await client.ConnectAsync(Ws(server.Url), invoker, timeout.Token);

        Assert.Equal([PipeUpgradeRefusal.NotHttp11], server.Refusals);
        await client.SendAsync("over h2"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var (_, echoed) = await ReceiveMessageAsync(client, new byte[64], timeout.Token);
        Assert.Equal("over h2", Encoding.UTF8.GetString(echoed.Span));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        server.ThrowIfFailed();
    }

    private static Uri Ws(Uri http) => new UriBuilder(http) { Scheme = "ws" }.Uri;

    /// <summary>A 101's header lines minus those that differ by nature (the date; the accept, which depends on the key).</summary>
    private static string[] Comparable(RawHttpHead head) =>
        [head.StartLine, .. head.Headers
            .Where(h => !h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            .Select(h => $"{h.Key.ToLowerInvariant()}: {h.Value}")
            .Order(StringComparer.Ordinal)];

    private static async Task<(WebSocketMessageType Type, Memory<byte> Data)> ReceiveMessageAsync(WebSocket client, byte[] buffer, CancellationToken cancellationToken)
    {
        var count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
            count += result.Count;
        }
        while (!result.EndOfMessage);

        return (result.MessageType, buffer.AsMemory(0, count));
    }
}

using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using WsBalancer.Host.Upstream.Handshake;

namespace WsBalancer.Host.Tests.Upstream;

/// <summary>
/// The dialer against a one-connection fake on loopback: which replies it accepts, the status a refused one carries
/// (it decides between "declined" and "backend failure"), and that it never leaves the connection open behind it.
/// </summary>
public sealed class BackendHandshakeTests
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectAsync_Valid101_OpenClientSocketWithChosenSubprotocol()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = FakeBackend.Start(async (request, stream, token) =>
        {
            await Write(stream, Reply101(request, "Sec-WebSocket-Protocol: superchat\r\nX-Extra: 1\r\n"), token);
            await FakeBackend.DrainAsync(stream, token);
        });

        var outcome = await ConnectAsync(fake.Url, Headers(("Sec-WebSocket-Protocol", ["chat, superchat"]), ("X-Bad", ["a\r\nb"])), ct);
        using var socket = outcome.Socket;

        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal("superchat", socket.SubProtocol);
        Assert.Equal(101, outcome.Response.StatusCode);
        Assert.Equal("1", outcome.Response.Get("X-Extra"));
        Assert.Equal(["X-Bad"], outcome.SkippedHeaders);
        Assert.Equal("GET /path?q=1 HTTP/1.1", (await fake.Request).StartLine);
    }

    [Fact]
    public async Task ConnectAsync_FramesInSameWriteAs101_ReceivedInOrderAcrossBufferedAndLiveBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var large = RandomNumberGenerator.GetHexString(3000);
        await using var fake = FakeBackend.Start(async (request, stream, token) =>
        {
            // Past the dialer's first 1 KiB read: the second frame is split between the bytes it read and the socket.
            byte[] reply = [.. Encoding.ASCII.GetBytes(Reply101(request)), .. TextFrame("hello"), .. TextFrame(large), .. TextFrame("bye")];
            await stream.WriteAsync(reply, token);
            await FakeBackend.DrainAsync(stream, token);
        });

        var outcome = await ConnectAsync(fake.Url, Headers(), ct);
        using var socket = outcome.Socket;

        Assert.Equal("hello", await ReceiveTextAsync(socket, ct));
        Assert.Equal(large, await ReceiveTextAsync(socket, ct));
        Assert.Equal("bye", await ReceiveTextAsync(socket, ct));
    }

    [Theory]
    [InlineData("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 403)]
    [InlineData("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n", 302)]
    [InlineData("HTTP/1.1 404 Not Found\r\n\r\n", 404)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200)]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\n\r\n", 503)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Accept: {accept}\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: chat\r\n\r\n", 101)]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nX-Folded: a\r\n b\r\n\r\n", 101)]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n\r\n", 0)]
    public async Task ConnectAsync_UnacceptableReply_HandshakeExceptionWithStatusAndConnectionClosed(string reply, int status)
    {
        var ct = TestContext.Current.CancellationToken;
        var hungUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = FakeBackend.Start(async (request, stream, token) =>
        {
            await Write(stream, reply.Replace("{accept}", AcceptFor(request), StringComparison.Ordinal), token);
            await FakeBackend.DrainAsync(stream, token);
            hungUp.TrySetResult();
        });

        var error = await Assert.ThrowsAsync<HandshakeException>(() => ConnectAsync(fake.Url, Headers(), ct));

        Assert.Equal(status, error.StatusCode);
        await hungUp.Task.WaitAsync(Limit, ct); // the dialer closed its connection
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r")]
    public async Task ConnectAsync_BackendClosesBeforeBlankLine_HandshakeExceptionStatusZero(string partial)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = FakeBackend.Start(async (request, stream, token) =>
        {
            await Write(stream, partial, token);
            stream.Socket.Shutdown(SocketShutdown.Send);
            await FakeBackend.DrainAsync(stream, token);
        });

        var error = await Assert.ThrowsAsync<HandshakeException>(() => ConnectAsync(fake.Url, Headers(), ct));

        Assert.Equal(0, error.StatusCode);
    }

    [Fact]
    public async Task ConnectAsync_ValidReplyHeadOver64KiB_HandshakeExceptionStatusZero()
    {
        var ct = TestContext.Current.CancellationToken;
        var hungUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = FakeBackend.Start(async (request, stream, token) =>
        {
            try
            {
                await Write(stream, Reply101(request, Filler(70 * 1024)), token);
            }
            catch (IOException)
            {
                // The dialer may hang up before the whole reply is written.
            }

            await FakeBackend.DrainAsync(stream, token);
            hungUp.TrySetResult();
        });

        var error = await Assert.ThrowsAsync<HandshakeException>(() => ConnectAsync(fake.Url, Headers(), ct));

        Assert.Equal(0, error.StatusCode);
        await hungUp.Task.WaitAsync(Limit, ct);
    }

    [Fact]
    public async Task ConnectAsync_ValidReplyHeadUnder64KiBInSmallWrites_Accepted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = FakeBackend.Start(async (request, stream, token) =>
        {
            // Written in pieces of 7 bytes so that the blank line straddles reads.
            var reply = Encoding.ASCII.GetBytes(Reply101(request, Filler(60 * 1024)));
            for (var at = 0; at < reply.Length; at += 7)
            {
                await stream.WriteAsync(reply.AsMemory(at, Math.Min(7, reply.Length - at)), token);
            }

            await FakeBackend.DrainAsync(stream, token);
        });

        var outcome = await ConnectAsync(fake.Url, Headers(), ct);
        using var socket = outcome.Socket;

        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.True(outcome.Response.Headers.Count > 1000);
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_SocketException()
    {
        var ct = TestContext.Current.CancellationToken;
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await Assert.ThrowsAnyAsync<SocketException>(() => ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), Headers(), ct));
    }

    [Fact]
    public async Task ConnectAsync_BackendNeverAnswers_CancellationAbortsAndClosesConnection()
    {
        var ct = TestContext.Current.CancellationToken;
        var hungUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = FakeBackend.Start(async (request, stream, token) =>
        {
            requested.TrySetResult();
            await FakeBackend.DrainAsync(stream, token);
            hungUp.TrySetResult();
        });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var dial = BackendHandshake.ConnectAsync(new Uri(fake.Url, "/path?q=1"), Headers(), KeepAlive, cancel.Token);
        await requested.Task.WaitAsync(Limit, ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dial);
        await hungUp.Task.WaitAsync(Limit, ct);
    }

    [Fact]
    public async Task ConnectAsync_InvalidSubprotocol_ArgumentException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = FakeBackend.Start((_, stream, token) => FakeBackend.DrainAsync(stream, token));

        await Assert.ThrowsAsync<ArgumentException>(() => ConnectAsync(fake.Url, Headers(("Sec-WebSocket-Protocol", ["chat, chat"])), ct));
    }

    private static async Task<HandshakeOutcome> ConnectAsync(Uri url, IReadOnlyDictionary<string, string[]> headers, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        return await BackendHandshake.ConnectAsync(new Uri(url, "/path?q=1"), headers, KeepAlive, timeout.Token);
    }

    private static Dictionary<string, string[]> Headers(params (string Name, string[] Values)[] headers) =>
        headers.ToDictionary(h => h.Name, h => h.Values, StringComparer.OrdinalIgnoreCase);

    private static string AcceptFor(string request)
    {
        var key = request.Split("\r\n").Single(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))[18..].Trim();
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
    }

    private static string Reply101(string request, string extraLines = "") =>
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + $"Sec-WebSocket-Accept: {AcceptFor(request)}\r\n{extraLines}\r\n";

    /// <summary>Valid header lines of about <paramref name="bytes"/> bytes in total.</summary>
    private static string Filler(int bytes)
    {
        var lines = new StringBuilder();
        for (var i = 0; lines.Length < bytes; i++)
        {
            lines.Append($"X-Filler-{i}: {new string('a', 40)}\r\n");
        }

        return lines.ToString();
    }

    /// <summary>An unmasked server text frame.</summary>
    private static byte[] TextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        byte[] header = payload.Length < 126
            ? [0x81, (byte)payload.Length]
            : [0x81, 126, (byte)(payload.Length >> 8), (byte)payload.Length];
        return [.. header, .. payload];
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(message.ToArray());
    }

    private static Task Write(NetworkStream stream, string text, CancellationToken cancellationToken) =>
        stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken).AsTask();

    /// <summary>Accepts one connection on 127.0.0.1:0, reads the request head, then runs the script.</summary>
    private sealed class FakeBackend : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource<(string Text, string StartLine)> _request = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _run;

        private FakeBackend(Func<string, NetworkStream, CancellationToken, Task> script)
        {
            _listener.Start();
            _run = RunAsync(script);
        }

        public Uri Url => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

        public Task<(string Text, string StartLine)> Request => _request.Task.WaitAsync(Limit);

        public static FakeBackend Start(Func<string, NetworkStream, CancellationToken, Task> script) => new(script);

        /// <summary>Reads until the other side closes (or resets) the connection.</summary>
        public static async Task DrainAsync(NetworkStream stream, CancellationToken cancellationToken)
        {
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer, cancellationToken) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
        }

        private async Task RunAsync(Func<string, NetworkStream, CancellationToken, Task> script)
        {
            try
            {
                using var tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = tcp.GetStream();
                var head = new List<byte>();
                var one = new byte[1];
                while (head.Count < 4 || !head[^4..].SequenceEqual("\r\n\r\n"u8.ToArray()))
                {
                    if (await stream.ReadAsync(one, _stop.Token) == 0)
                    {
                        return;
                    }

                    head.Add(one[0]);
                }

                var text = Encoding.Latin1.GetString([.. head]);
                _request.TrySetResult((text, text[..text.IndexOf("\r\n", StringComparison.Ordinal)]));
                await script(text, stream, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _run.WaitAsync(Limit);
            _stop.Dispose();
        }
    }
}

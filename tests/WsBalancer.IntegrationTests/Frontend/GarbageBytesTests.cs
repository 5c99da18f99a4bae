using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Bogus;
using WsBalancer.IntegrationTests.Admin;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>
/// Random bytes where the balancer expects HTTP or WebSocket frames: before any request on the frontend and admin
/// ports, after a valid upgrade (random frames mid-session), a TLS ClientHello on a plain port, and many such
/// connections at once. Each connection ends within a bounded time, the process stays healthy (/health), an echo
/// session through the balancer goes on echoing, and nothing is logged as an error.
/// </summary>
public sealed class GarbageBytesTests
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    // A connection whose bytes hold no line end is answered only when the handshake read timeout passes (Kestrel checks
    // it on its 1 s heartbeat); the rest is slack for a loaded 2-core machine.
    private static readonly TimeSpan Promptly = ReadTimeout + TimeSpan.FromSeconds(5);

    private static readonly int[] Lengths = [1, 2, 37, 4 * 1024, 64 * 1024, 1024 * 1024];

    private readonly Faker _faker = new();

    [Theory]
    [InlineData("frontend")]
    [InlineData("admin")]
    public async Task RandomBytesBeforeAnyRequest_ConnectionEnds_ProcessHealthyBystanderEchoes(string port)
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, log, frameRelay: true, ct);
        await using var bystander = BystanderEcho.Start(await balancer.ConnectAsync("/bystander", ct), ct);
        var target = port == "admin" ? balancer.AdminUri : balancer.FrontendUri;

        foreach (var length in Lengths)
        {
            var (elapsed, reply) = await SendGarbageAsync(target, _faker.Random.Bytes(length), ct);
            Assert.True(elapsed < Promptly, $"{length} bytes: the connection stayed open {elapsed}");
            Assert.True(reply.Length == 0 || reply.StartsWith("HTTP/1.1 4", StringComparison.Ordinal), $"{length} bytes: {reply}");
        }

        await bystander.StopAsync();
        await AssertHealthyAsync(balancer, backend, log, sessions: 1, ct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RandomFramesMidSession_Closed1002OrEnded_ProcessHealthyBystanderEchoes(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, log, frameRelay, ct);
        await using var bystander = BystanderEcho.Start(await balancer.ConnectAsync("/bystander", ct), ct);

        // At least a whole frame header (14 bytes at most): the message path's WebSocket reads all of it before checking
        // any bit, so a shorter piece would wait for the rest like any frame arriving slowly (the idle timeout's case).
        foreach (var length in Lengths.Where(l => l >= 14).Prepend(14))
        {
            await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/garbage", ct);
            var text = _faker.Lorem.Sentence();
            await client.SendTextAsync(text, ct);
            Assert.Equal(text, (await client.ReceiveFrameAsync(ct)).Text);
            var garbage = _faker.Random.Bytes(length);
            // RSV1 set, no extension negotiated: a protocol error at the first byte (RFC 6455 §5.2), whatever follows;
            // without it a random header could announce a payload longer than what follows and wait for the rest.
            garbage[0] |= 0x40;

            var started = Stopwatch.GetTimestamp();
            var sending = SendIgnoringResetAsync(client.Stream, garbage, ct);
            var end = await ReadUntilEndAsync(client, ct);
            await sending;
            var elapsed = Stopwatch.GetElapsedTime(started);

            Assert.True(elapsed < Promptly, $"{length} bytes: the session stayed open {elapsed}");
            // The close may be lost to the reset that follows when the balancer closes with garbage still unread.
            Assert.True(end is null or 1002, $"{length} bytes: closed with {end}");
            if (length <= 64)
            {
                Assert.Equal(1002, end); // nothing left unread: the close arrives
            }

            await balancer.WaitForSessionsAsync(1, ct);
            var leg = backend.Connections[^1];
            await leg.Ended.WaitAsync(Timeouts.Default, ct);
            Assert.Equal("/garbage", leg.Target);
        }

        await bystander.StopAsync();
        await AssertHealthyAsync(balancer, backend, log, sessions: 1, ct);
    }

    [Fact]
    public async Task TlsClientHelloOnPlainPorts_HandshakeFailsConnectionEnds_ProcessHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, log, frameRelay: true, ct);
        await using var bystander = BystanderEcho.Start(await balancer.ConnectAsync("/bystander", ct), ct);

        foreach (var target in new[] { balancer.FrontendUri, balancer.AdminUri })
        {
            using var tcp = await RawHttp.ConnectAsync(target, ct);
            await using var tls = new SslStream(tcp.GetStream());
            using var timeout = Timeouts.Linked(ct);
            var started = Stopwatch.GetTimestamp();
            // The server reads the ClientHello as a request line, answers 400 in plain HTTP and closes: not a TLS record.
            var failure = await Record.ExceptionAsync(() => tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, _, _, _) => true }, timeout.Token));

            Assert.True(failure is AuthenticationException or IOException, failure?.ToString() ?? "the TLS handshake succeeded on a plain port");
            Assert.True(Stopwatch.GetElapsedTime(started) < Promptly);
        }

        await bystander.StopAsync();
        await AssertHealthyAsync(balancer, backend, log, sessions: 1, ct);
    }

    [Fact]
    public async Task ManyGarbageConnectionsAtOnce_AllEnd_ProcessHealthyBystanderEchoes()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, log, frameRelay: true, ct);
        await using var bystander = BystanderEcho.Start(await balancer.ConnectAsync("/bystander", ct), ct);

        var connections = Enumerable.Range(0, 64).Select(i => SendGarbageAsync(
            i % 2 == 0 ? balancer.FrontendUri : balancer.AdminUri, _faker.Random.Bytes(_faker.Random.Int(1, 256 * 1024)), ct));
        var ended = await Task.WhenAll(connections);

        Assert.All(ended, e => Assert.True(e.Elapsed < Promptly + Promptly, $"a connection stayed open {e.Elapsed}"));
        await bystander.StopAsync();
        await AssertHealthyAsync(balancer, backend, log, sessions: 1, ct);
        using var fresh = await balancer.ConnectAsync("/after", ct);
        await fresh.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    private static Task<TestBalancer> StartAsync(TestBackend backend, AdminLogCapture log, bool frameRelay, CancellationToken ct) =>
        TestBalancer.StartAsync([backend], ct, services: log.AddTo, server: s => s with
        {
            FrameRelay = frameRelay,
            Frontend = s.Frontend with { ReadTimeout = ReadTimeout },
            Admin = s.Admin with { ReadTimeout = ReadTimeout },
        });

    /// <summary>Connects, sends <paramref name="garbage"/> while reading, and returns how long until the server closed, and what it answered.</summary>
    private static async Task<(TimeSpan Elapsed, string Reply)> SendGarbageAsync(Uri target, byte[] garbage, CancellationToken ct)
    {
        using var tcp = await RawHttp.ConnectAsync(target, ct);
        var started = Stopwatch.GetTimestamp();
        var sending = SendIgnoringResetAsync(tcp.GetStream(), garbage, ct);
        var reply = await RawHttp.ReadUntilClosedAsync(tcp, ct);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await sending;
        return (elapsed, System.Text.Encoding.Latin1.GetString(reply));
    }

    /// <summary>Writes everything, or until the server closes the connection under the write (what a client of garbage sees).</summary>
    private static async Task SendIgnoringResetAsync(Stream stream, byte[] bytes, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        try
        {
            await stream.WriteAsync(bytes, timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads frames until the balancer's close (its code) or the end of the connection (null).</summary>
    private static async Task<int?> ReadUntilEndAsync(RawWebSocketClient client, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var frame = await client.ReceiveFrameAsync(ct);
                if (frame.Opcode == RawOpcode.Close)
                {
                    return frame.Payload.Length >= 2 ? (frame.Payload[0] << 8) | frame.Payload[1] : 1005;
                }
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return null;
        }
    }

    private static async Task AssertHealthyAsync(TestBalancer balancer, TestBackend backend, AdminLogCapture log, int sessions, CancellationToken ct)
    {
        await balancer.WaitForSessionsAsync(sessions, ct);
        Assert.Equal(HttpStatusCode.OK, (await balancer.GetAsync("/health", ct)).Status);
        Assert.Equal(sessions, backend.OpenConnections.Count());
        log.AssertNoFailures();
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>
/// The two limits on a client's handshake (<c>server.frontend.max-header-bytes</c> → 431, <c>server.frontend.read-timeout</c>
/// → the TCP connection closed), from a raw socket, with an echo session through the balancer that must not notice.
/// </summary>
public sealed class HandshakeLimitTests
{
    private const int MaxHeaderBytes = 4_096;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    private readonly Faker _faker = new();

    [Fact]
    public async Task HeadersOverTheLimit_431_OtherSessionGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);
        using var bystander = await balancer.ConnectAsync("/", ct);

        using var tcp = await RawHttp.ConnectAsync(balancer.FrontendUri, ct);
        var filler = _faker.Random.AlphaNumeric(MaxHeaderBytes + 512);
        await RawHttp.SendAsync(tcp, UpgradeRequest(balancer, filler), ct);
        var reply = Encoding.ASCII.GetString(await RawHttp.ReadUntilClosedAsync(tcp, ct));

        Assert.StartsWith("HTTP/1.1 431 ", reply, StringComparison.Ordinal);
        Assert.Single(backend.Connections); // only the bystander was dialed
        await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Fact]
    public async Task HeadersWithinTheLimit_Upgraded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);

        using var tcp = await RawHttp.ConnectAsync(balancer.FrontendUri, ct);
        var filler = _faker.Random.AlphaNumeric(MaxHeaderBytes / 2);
        await RawHttp.SendAsync(tcp, UpgradeRequest(balancer, filler), ct);
        var reply = await ReadStatusLineAsync(tcp, ct);

        Assert.StartsWith("HTTP/1.1 101 ", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadersNeverFinished_ConnectionClosedAfterTheReadTimeout_OtherSessionGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);
        using var bystander = await balancer.ConnectAsync("/", ct);

        using var tcp = await RawHttp.ConnectAsync(balancer.FrontendUri, ct);
        var started = Stopwatch.StartNew();
        // A slowloris client: the request line and a header, then a header byte now and then, never the blank line.
        await RawHttp.SendAsync(tcp, $"GET / HTTP/1.1\r\nHost: {balancer.FrontendUri.Authority}\r\nX-Slow: ", ct);
        using var trickle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var trickling = TrickleAsync(tcp, trickle.Token);
        await RawHttp.ReadUntilClosedAsync(tcp, ct);
        var elapsed = started.Elapsed;
        await trickle.CancelAsync();
        await trickling;

        // Kestrel checks the timeout on its 1 s heartbeat; the upper bound is slack for a loaded machine, and far below
        // the 10 s default, which the setting replaced.
        Assert.InRange(elapsed, ReadTimeout - TimeSpan.FromMilliseconds(200), ReadTimeout + TimeSpan.FromSeconds(4));
        Assert.Single(backend.Connections);
        await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r\n")]
    [InlineData("\r\n\r\n\r\n\r\n")]
    public async Task NothingButEmptyLines_ConnectionClosedAfterTheReadTimeout_OtherSessionGoesOn(string sent)
    {
        // Kestrel skips empty lines before a request line (RFC 9112 §2.2) and, until the first byte of one, waits its
        // keep-alive timeout (130 s by default), not the header timeout: the read timeout bounds that wait too.
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, ct);
        using var bystander = await balancer.ConnectAsync("/", ct);

        using var tcp = await RawHttp.ConnectAsync(balancer.FrontendUri, ct);
        var started = Stopwatch.StartNew();
        await RawHttp.SendAsync(tcp, sent, ct);
        var reply = await RawHttp.ReadUntilClosedAsync(tcp, ct);

        Assert.Empty(reply);
        Assert.InRange(started.Elapsed, ReadTimeout - TimeSpan.FromMilliseconds(200), ReadTimeout + TimeSpan.FromSeconds(4));
        await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    private static Task<TestBalancer> StartAsync(TestBackend backend, CancellationToken ct) =>
        TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            Frontend = s.Frontend with { MaxHeaderBytes = MaxHeaderBytes, ReadTimeout = ReadTimeout },
        });

    /// <summary>A valid upgrade request whose headers carry <paramref name="filler"/> to reach a chosen size.</summary>
    private static string UpgradeRequest(TestBalancer balancer, string filler) =>
        $"GET / HTTP/1.1\r\nHost: {balancer.FrontendUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Filler: {filler}\r\n\r\n";

    private static async Task TrickleAsync(TcpClient tcp, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
                await tcp.GetStream().WriteAsync("a"u8.ToArray(), ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // The balancer closed the connection, or the test is done: the trickle ends either way.
        }
    }

    private static async Task<string> ReadStatusLineAsync(TcpClient tcp, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Timeouts.Default);
        var received = new StringBuilder();
        var buffer = new byte[1];
        while (!received.ToString().Contains("\r\n", StringComparison.Ordinal)
            && await tcp.GetStream().ReadAsync(buffer, bounded.Token) > 0)
        {
            received.Append((char)buffer[0]);
        }

        return received.ToString();
    }
}

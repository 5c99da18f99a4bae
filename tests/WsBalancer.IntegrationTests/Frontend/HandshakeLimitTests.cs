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

        using var tcp = await ConnectRawAsync(balancer, ct);
        var filler = _faker.Random.AlphaNumeric(MaxHeaderBytes + 512);
        await SendAsync(tcp, UpgradeRequest(balancer, filler), ct);
        var reply = await ReadUntilClosedAsync(tcp, ct);

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

        using var tcp = await ConnectRawAsync(balancer, ct);
        var filler = _faker.Random.AlphaNumeric(MaxHeaderBytes / 2);
        await SendAsync(tcp, UpgradeRequest(balancer, filler), ct);
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

        using var tcp = await ConnectRawAsync(balancer, ct);
        var started = Stopwatch.StartNew();
        // A slowloris client: the request line and a header, then a header byte now and then, never the blank line.
        await SendAsync(tcp, $"GET / HTTP/1.1\r\nHost: {balancer.FrontendUri.Authority}\r\nX-Slow: ", ct);
        using var trickle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var trickling = TrickleAsync(tcp, trickle.Token);
        await ReadUntilClosedAsync(tcp, ct);
        var elapsed = started.Elapsed;
        await trickle.CancelAsync();
        await trickling;

        // Kestrel checks the timeout on its 1 s heartbeat; the upper bound is slack for a loaded machine, and far below
        // the 10 s default, which the setting replaced.
        Assert.InRange(elapsed, ReadTimeout - TimeSpan.FromMilliseconds(200), ReadTimeout + TimeSpan.FromSeconds(4));
        Assert.Single(backend.Connections);
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

    private static async Task<TcpClient> ConnectRawAsync(TestBalancer balancer, CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(balancer.FrontendUri.Host, balancer.FrontendUri.Port, ct);
        return tcp;
    }

    private static async Task SendAsync(TcpClient tcp, string text, CancellationToken ct) =>
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text), ct);

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

    /// <summary>Everything the server sends until it closes the connection (a reset counts as closed), bounded.</summary>
    private static async Task<string> ReadUntilClosedAsync(TcpClient tcp, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Timeouts.Default);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await tcp.GetStream().ReadAsync(buffer, bounded.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after the reply: the connection is closed, which is what is awaited.
        }

        return Encoding.ASCII.GetString(received.ToArray());
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

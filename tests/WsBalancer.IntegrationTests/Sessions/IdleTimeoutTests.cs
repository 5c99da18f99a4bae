using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Bogus;

namespace WsBalancer.IntegrationTests.Sessions;

/// <summary>
/// <c>server.idle-timeout</c> on both paths: a session on which nothing goes either way is closed with 1000
/// "idle timeout" within 1.25× of the timeout (plus slack for a loaded machine); a session whose client only pings, and
/// one with traffic, stay open past 3× the timeout and still echo.
/// </summary>
public sealed class IdleTimeoutTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMilliseconds(1500);

    private readonly Faker _faker = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NothingGoesEitherWay_ClosedWith1000AfterTheTimeout_BystanderEchoes(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, frameRelay, ct);
        await using var bystander = await PingingClient.ConnectAsync(balancer, "/bystander", ct);
        using var idle = await balancer.ConnectAsync("/idle", ct, NoKeepAlive);
        await idle.AssertEchoAsync(_faker.Lorem.Sentence(), ct); // the last activity: the timeout runs from here
        var quiet = Stopwatch.StartNew();

        var close = await idle.ReceiveMessageAsync(ct);
        var elapsed = quiet.Elapsed;

        Assert.Equal((WebSocketMessageType.Close, WebSocketCloseStatus.NormalClosure, "idle timeout"), (close.Type, close.CloseStatus, close.CloseReason));
        // The check runs every quarter of the timeout: closed between 1× and 1.25×; the upper bound has slack for a loaded machine.
        Assert.InRange(elapsed, IdleTimeout - TimeSpan.FromMilliseconds(100), (IdleTimeout * 1.25) + TimeSpan.FromSeconds(2));
        await balancer.WaitForSessionsAsync(1, ct);
        Assert.Equal("/bystander", (await balancer.SingleSessionAsync(ct)).RequestTarget);
        await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PingsOnlyOrTraffic_StayOpenPastThreeTimesTheTimeout(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, frameRelay, ct);
        await using var pinging = await PingingClient.ConnectAsync(balancer, "/pings", ct);
        using var talking = await balancer.ConnectAsync("/traffic", ct, NoKeepAlive);
        await pinging.AssertEchoAsync(_faker.Lorem.Sentence(), ct); // from here on only its pings go
        var started = Stopwatch.StartNew();
        using var stopTalking = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var traffic = TalkAsync(talking, stopTalking.Token, ct);

        // Time passes by events: three idle sessions, one after the other, each closed by the timeout.
        for (var i = 0; i < 3; i++)
        {
            using var idle = await balancer.ConnectAsync($"/idle{i}", ct, NoKeepAlive);
            var close = await idle.ReceiveMessageAsync(ct);
            Assert.Equal((WebSocketCloseStatus.NormalClosure, "idle timeout"), (close.CloseStatus, close.CloseReason));
        }

        Assert.True(started.Elapsed >= IdleTimeout * 3, $"only {started.Elapsed} passed");
        await stopTalking.CancelAsync();
        var exchanged = await traffic;
        Assert.True(exchanged > 0);
        Assert.Equal(WebSocketState.Open, pinging.Socket.State);
        Assert.Equal(WebSocketState.Open, talking.State);
        await pinging.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await talking.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    private static Task<TestBalancer> StartAsync(TestBackend backend, bool frameRelay, CancellationToken ct) =>
        TestBalancer.StartAsync([backend], ct, server: s => s with { FrameRelay = frameRelay, IdleTimeout = IdleTimeout });

    // The client's own keep-alive (an unsolicited pong every 30 s by default) is off, so "idle" means idle.
    private static void NoKeepAlive(ClientWebSocketOptions options) => options.KeepAliveInterval = TimeSpan.Zero;

    /// <summary>
    /// A client that pings every third of the idle timeout and sends nothing else of its own. Its receive loop keeps a
    /// read pending: a ClientWebSocket handles the pong only inside a read, and sends no further ping before it has.
    /// </summary>
    private sealed class PingingClient : IAsyncDisposable
    {
        private readonly Channel<string> _received = Channel.CreateUnbounded<string>();
        private readonly Task _receiving;

        private PingingClient(ClientWebSocket socket, CancellationToken ct)
        {
            Socket = socket;
            _receiving = ReceiveAsync(ct);
        }

        public ClientWebSocket Socket { get; }

        public static async Task<PingingClient> ConnectAsync(TestBalancer balancer, string path, CancellationToken ct)
        {
            var socket = await balancer.ConnectAsync(path, ct, options =>
            {
                options.KeepAliveInterval = IdleTimeout / 3;
                options.KeepAliveTimeout = Timeouts.Default; // with a timeout the client sends real pings, not pongs
            });
            return new PingingClient(socket, ct);
        }

        public async Task AssertEchoAsync(string text, CancellationToken ct)
        {
            await Socket.SendTextAsync(text, ct);
            using var timeout = Timeouts.Linked(ct);
            Assert.Equal(text, await _received.Reader.ReadAsync(timeout.Token));
        }

        public async ValueTask DisposeAsync()
        {
            Socket.Abort();
            await _receiving;
            Socket.Dispose();
        }

        // Ends when the socket is closed or aborted (at the latest by DisposeAsync), so it needs no timeout of its own.
        private async Task ReceiveAsync(CancellationToken ct)
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var result = await Socket.ReceiveAsync(buffer.AsMemory(), ct);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        _received.Writer.TryWrite($"closed: {Socket.CloseStatus} {Socket.CloseStatusDescription}");
                        return;
                    }

                    _received.Writer.TryWrite(Encoding.UTF8.GetString(buffer, 0, result.Count)); // echoes are short: one frame
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                _received.Writer.TryComplete();
            }
        }
    }

    /// <summary>Echoes back to back until stopped: traffic all the time. Returns how many round trips were made.</summary>
    private async Task<int> TalkAsync(ClientWebSocket client, CancellationToken stop, CancellationToken ct)
    {
        var count = 0;
        while (!stop.IsCancellationRequested)
        {
            await client.AssertEchoAsync(_faker.Random.AlphaNumeric(16), ct); // a round trip is never cut off half way
            count++;
        }

        return count;
    }
}

using System.Diagnostics;
using System.Net.WebSockets;
using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.IntegrationTests.Sessions;

/// <summary>
/// <c>server.stall-timeout</c> on both paths: a backend that completes the handshake and then never reads, under a
/// client streaming 128 MiB in 64 KiB messages. The client's sends stop completing long before 128 MiB (TCP
/// back-pressure through the balancer: it holds a bounded amount, it drops nothing), and once no send has completed for
/// the stall timeout the client is closed with 1013 "backend stalled". A bystander on another backend echoes throughout.
/// </summary>
public sealed class StallTimeoutTests
{
    private const int MessageBytes = 64 * 1024;
    private const long StreamBytes = 128L * 1024 * 1024;
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(2);

    // What may be accepted from a client whose backend reads nothing, with every socket buffer on the way: the client's
    // send buffer, the balancer's receive buffer (Linux grows a loopback one to 32 MiB by default), its pending queue
    // (8 MiB) or client pipe (max-message-size), its send buffer to the backend and the backend's receive buffer. Half
    // of the 128 MiB streamed: what the balancer itself holds is bounded, not what it is sent.
    private const long MostAccepted = 64L * 1024 * 1024;

    private readonly Faker _faker = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BackendNeverReads_ClientBackPressuredThenClosedWith1013AfterTheTimeout_BystanderEchoes(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var silent = NonReadingBackend.Start();
        await using var echo = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([], ct, settings: b => b with
        {
            Server = b.Server with { FrameRelay = frameRelay, StallTimeout = StallTimeout },
            Backends = [new BackendSettings { Url = silent.Url, Id = silent.Name }, new BackendSettings { Url = echo.Url, Id = echo.Name }],
        });
        var (streaming, bystander) = await ConnectOnePerBackendAsync(balancer, silent.Name, ct);
        await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        var progress = new SendProgress();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = StreamAsync(streaming, progress, stop.Token);
        var close = await streaming.ReceiveMessageAsync(ct); // the only event awaited: the balancer's close
        var closedAt = Stopwatch.GetTimestamp();
        // Taken at the close: after it the balancer reads and drops what the client still sends, until the client's close.
        var accepted = progress.Bytes;
        await stop.CancelAsync();
        await sending;

        Assert.Equal((WebSocketMessageType.Close, (WebSocketCloseStatus)1013, "backend stalled"), (close.Type, close.CloseStatus, close.CloseReason));
        Assert.True(accepted < MostAccepted, $"the balancer accepted {accepted} bytes from a client whose backend reads nothing");
        // The stall is the longest time no send completed, up to the close. Not simply the time since the last send: once
        // the balancer has sent its close it reads and drops what the client sends, so a send pending through the stall
        // may complete just before the close is received.
        var stall = progress.LongestGapUntil(closedAt);
        // The timeout runs from the write to the backend that stopped completing, a little before the client's last
        // send completed; checked every quarter of it.
        Assert.InRange(stall, StallTimeout * 0.75, (StallTimeout * 1.25) + TimeSpan.FromSeconds(3));
        await balancer.WaitForSessionsAsync(1, ct);
        Assert.Equal(echo.Name, (await balancer.SingleSessionAsync(ct)).BackendId);
        await bystander.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StallTimeoutOff_ClientStaysBackPressured(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var silent = NonReadingBackend.Start();
        await using var echo = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([], ct, settings: b => b with
        {
            Server = b.Server with { FrameRelay = frameRelay, StallTimeout = TimeSpan.Zero, IdleTimeout = StallTimeout },
            Backends = [new BackendSettings { Url = silent.Url, Id = silent.Name }, new BackendSettings { Url = echo.Url, Id = echo.Name }],
        });
        var (streaming, other) = await ConnectOnePerBackendAsync(balancer, silent.Name, ct);
        other.Dispose(); // only the stalled session matters here

        var progress = new SendProgress();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = StreamAsync(streaming, progress, stop.Token);
        var closing = streaming.ReceiveMessageAsync(ct); // would complete with any close the balancer sends
        // Time passes by an event: idle sessions closed one after the other by the (equally long) idle timeout; four,
        // so that even a close the relay sends only after its pump's patience (5 s) would have arrived.
        for (var i = 0; i < 4; i++)
        {
            using var idle = await balancer.ConnectAsync($"/idle{i}", ct, o => o.KeepAliveInterval = TimeSpan.Zero);
            Assert.Equal("idle timeout", (await idle.ReceiveMessageAsync(ct)).CloseReason);
        }

        Assert.False(closing.IsCompleted, "the stalled session was closed");
        Assert.True(progress.Bytes < MostAccepted, $"the balancer accepted {progress.Bytes} bytes");
        Assert.True(Stopwatch.GetElapsedTime(progress.LastCompleted) >= StallTimeout * 2, "sends still completed: the backend was not stalled");
        // Not ended: back-pressured, not dropped; and not idle either, while its backend has a write pending.
        var stalled = Assert.Single(balancer.Sessions.Sessions, s => s.BackendId == silent.Name);
        // Only an end the session is told of ends it: nothing reads a client whose backend takes nothing.
        stalled.Abort();
        var close = await closing;
        Assert.Equal((WebSocketCloseStatus.NormalClosure, "session aborted by the administrator"), (close.CloseStatus, close.CloseReason));
        await stop.CancelAsync();
        await sending;
        await balancer.WaitForSessionsAsync(0, ct);
    }

    /// <summary>Connects until one client is on <paramref name="stalledBackend"/> and one on the other (round robin alternates).</summary>
    private static async Task<(ClientWebSocket Streaming, ClientWebSocket Bystander)> ConnectOnePerBackendAsync(
        TestBalancer balancer, string stalledBackend, CancellationToken ct)
    {
        var first = await balancer.ConnectAsync("/first", ct, o => o.KeepAliveInterval = TimeSpan.Zero);
        var second = await balancer.ConnectAsync("/second", ct, o => o.KeepAliveInterval = TimeSpan.Zero);
        await balancer.WaitForSessionsAsync(2, ct);
        var firstOnStalled = balancer.Sessions.Sessions.Single(s => s.RequestTarget == "/first").BackendId == stalledBackend;
        return firstOnStalled ? (first, second) : (second, first);
    }

    /// <summary>Sends 128 MiB in 64 KiB binary messages until done, closed or stopped; records each completed send.</summary>
    private async Task StreamAsync(ClientWebSocket client, SendProgress progress, CancellationToken ct)
    {
        var message = _faker.Random.Bytes(MessageBytes);
        try
        {
            for (long sent = 0; sent < StreamBytes; sent += MessageBytes)
            {
                await client.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, ct);
                progress.Completed(MessageBytes);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The balancer closed the client (or the test stopped it): sends end here.
        }
    }

    /// <summary>What the sending loop (the only writer) has sent; read by the test while it runs.</summary>
    private sealed class SendProgress
    {
        private readonly Lock _lock = new();
        private long _bytes;
        private long _lastCompleted = Stopwatch.GetTimestamp();
        private TimeSpan _longestGap;

        public long Bytes { get { lock (_lock) { return _bytes; } } }

        public long LastCompleted { get { lock (_lock) { return _lastCompleted; } } }

        public void Completed(int bytes)
        {
            var now = Stopwatch.GetTimestamp();
            lock (_lock)
            {
                _bytes += bytes;
                _longestGap = TimeSpan.FromTicks(Math.Max(_longestGap.Ticks, Stopwatch.GetElapsedTime(_lastCompleted, now).Ticks));
                _lastCompleted = now;
            }
        }

        /// <summary>The longest time between two completed sends, or from the last one to <paramref name="timestamp"/>.</summary>
        public TimeSpan LongestGapUntil(long timestamp)
        {
            lock (_lock)
            {
                var sinceLast = Stopwatch.GetElapsedTime(_lastCompleted, timestamp);
                return sinceLast > _longestGap ? sinceLast : _longestGap;
            }
        }
    }
}

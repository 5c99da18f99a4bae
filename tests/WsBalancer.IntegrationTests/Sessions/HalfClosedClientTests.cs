using System.Net.Sockets;
using System.Net.WebSockets;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.IntegrationTests.Admin;

namespace WsBalancer.IntegrationTests.Sessions;

/// <summary>
/// Clients that leave without a close frame, on both paths: one that half-closes its TCP connection (FIN), one that
/// resets it in the middle of a message, one that goes silent with its socket open. Each session ends, its backend
/// gets a close frame (not a dropped connection), the registry empties, and a bystander session echoes throughout.
/// </summary>
public sealed class HalfClosedClientTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromMilliseconds(500);

    private readonly Faker _faker = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientSendsFinWithoutCloseFrame_SessionEndsBackendGetsCloseFrame(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await RunAsync(frameRelay, ct);
        var (client, leg) = await run.ConnectAsync(ct);

        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await run.AssertEndedAsync(leg, ct));
        Assert.Equal("client went away", leg.CloseStatusDescription);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientResetsInTheMiddleOfAMessage_SessionEndsBackendGetsCloseFrame(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await RunAsync(frameRelay, ct);
        var (client, leg) = await run.ConnectAsync(ct);
        await client.SendFrameAsync(RawOpcode.Text, "first part of "u8.ToArray(), ct, fin: false);

        client.Socket.LingerState = new LingerOption(true, 0); // close = RST, no FIN
        client.Socket.Close();

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await run.AssertEndedAsync(leg, ct));
        Assert.Equal("client went away", leg.CloseStatusDescription);
        Assert.Empty(leg.Received.Skip(1)); // the half message was never forwarded
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientVanishesSilently_EndedByTheIdleTimeout(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await RunAsync(frameRelay, ct, s => s with { IdleTimeout = IdleTimeout });
        var (_, leg) = await run.ConnectAsync(ct); // the client neither reads nor writes from here on, its socket open

        var code = await run.AssertEndedAsync(leg, ct);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, code);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientVanishesSilently_BackendSends_EndedByTheWriteTimeout(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await RunAsync(frameRelay, ct, s => s with { Frontend = s.Frontend with { WriteTimeout = WriteTimeout } });
        var (_, leg) = await run.ConnectAsync(ct);

        // Far more than the loopback socket buffers hold, towards a client that reads nothing.
        var flood = FloodAsync(leg, ct);
        // A close frame either way: 1001 "client went away" on the relay, a normal close on the message path (README).
        await run.AssertEndedAsync(leg, ct);
        await flood;
    }

    private async Task<HalfClosedRun> RunAsync(bool frameRelay, CancellationToken ct, Func<ServerSettings, ServerSettings>? server = null)
    {
        var log = new AdminLogCapture();
        var backend = await TestBackend.StartAsync("b1", ct);
        var balancer = await TestBalancer.StartAsync([backend], ct, services: log.AddTo, server: s => (server?.Invoke(s) ?? s) with { FrameRelay = frameRelay });
        var bystander = BystanderEcho.Start(await balancer.ConnectAsync("/bystander", ct), ct);
        return new HalfClosedRun(backend, balancer, bystander, log, _faker);
    }

    private static async Task FloodAsync(BackendConnection leg, CancellationToken ct)
    {
        var chunk = new string('x', 64 * 1024);
        try
        {
            for (var i = 0; i < 1000 && !leg.Ended.IsCompleted; i++)
            {
                await leg.SendTextAsync(chunk, ct);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The balancer closed the leg under the flood: what is awaited.
        }
    }

    /// <summary>One balancer over one backend with a bystander echoing, and the log captured.</summary>
    private sealed class HalfClosedRun(TestBackend backend, TestBalancer balancer, BystanderEcho bystander, AdminLogCapture log, Faker faker) : IAsyncDisposable
    {
        private readonly List<RawWebSocketClient> _clients = [];

        /// <summary>A raw client with one echo done, and its backend leg.</summary>
        public async Task<(RawWebSocketClient Client, BackendConnection Leg)> ConnectAsync(CancellationToken ct)
        {
            var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/leaving", ct);
            _clients.Add(client);
            var text = faker.Lorem.Sentence();
            await client.SendTextAsync(text, ct);
            Assert.Equal(text, (await client.ReceiveFrameAsync(ct)).Text);
            await balancer.WaitForSessionsAsync(2, ct);
            return (client, backend.Connections.Single(c => c.Target == "/leaving"));
        }

        /// <summary>The session ended, its backend got a close frame (returned), the bystander echoed throughout and nothing failed.</summary>
        public async Task<WebSocketCloseStatus?> AssertEndedAsync(BackendConnection leg, CancellationToken ct)
        {
            await leg.Ended.WaitAsync(Timeouts.Default, ct);
            await balancer.WaitForSessionsAsync(1, ct);
            Assert.Equal("/bystander", (await balancer.SingleSessionAsync(ct)).RequestTarget);
            TestContext.Current.TestOutputHelper?.WriteLine($"backend leg closed with {leg.CloseStatus} '{leg.CloseStatusDescription}'");
            Assert.NotNull(leg.CloseStatus); // a close frame, not a dropped TCP connection
            await bystander.StopAsync();
            log.AssertNoFailures();
            return leg.CloseStatus;
        }

        public async ValueTask DisposeAsync()
        {
            await bystander.DisposeAsync();
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }

            await balancer.DisposeAsync();
            await backend.DisposeAsync();
        }
    }
}

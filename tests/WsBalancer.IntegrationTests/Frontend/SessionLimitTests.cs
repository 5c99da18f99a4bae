using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Bogus;
using WsBalancer.IntegrationTests.Admin;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>
/// The frontend's session limits (<c>server.frontend.max-sessions</c>, <c>server.frontend.max-sessions-per-address</c>):
/// one session over a limit gets 503 with a reason naming that limit and is never dialed; a slot comes back whenever a
/// session ends, its dial failed included.
/// </summary>
public sealed class SessionLimitTests
{
    private const int SessionRefusedEvent = 1009;
    private const string RefusedSeries = "wsbalancer_frontend_refused_total";

    // Linux routes the whole of 127.0.0.0/8 on loopback: a client bound to this address is a second remote address.
    private static readonly IPAddress OtherLoopback = IPAddress.Parse("127.0.0.2");

    private readonly Faker _faker = new();

    [Fact]
    public async Task OneOverMaxSessions_503WithReasonNotDialed_NextAdmittedOnceOneEnded()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { FrontendMaxSessions = 3 }, services: log.AddTo);
        var sessions = new List<ClientWebSocket>();
        for (var i = 0; i < 3; i++)
        {
            sessions.Add(await balancer.ConnectAsync($"/{_faker.Lorem.Word()}", ct));
            await sessions[i].AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        var refused = await FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, "/fourth", ct);

        Assert.Equal(503, refused.Status);
        Assert.Equal("failed", refused.Body.GetProperty("result").GetString());
        Assert.Equal("session limit reached (limit 3)", refused.Reason);
        Assert.Equal(3, backend.Connections.Count); // the refused one was never dialed
        Assert.Equal(1, (await ScrapeAsync(balancer, ct)).Value(RefusedSeries, ("reason", "session_limit")));
        Assert.Contains("limit 3", Assert.Single(log.WithEventId(SessionRefusedEvent)).Message, StringComparison.Ordinal);

        await sessions[1].CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        await WaitForSlotsAsync(balancer, 2, ct);
        using var next = await balancer.ConnectAsync("/next", ct);

        await next.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await sessions[0].AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await sessions[2].AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Fact]
    public async Task OneOverThePerAddressLimit_503ForThatAddress_AnotherAddressAdmitted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { FrontendMaxSessionsPerAddress = 2 });
        using var first = await balancer.ConnectAsync("/a", ct);
        using var second = await balancer.ConnectAsync("/b", ct);

        var refused = await FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, "/c", ct);
        using var invoker = InvokerBoundTo(OtherLoopback);
        using var fromOtherAddress = new ClientWebSocket();
        using (var timeout = Timeouts.Linked(ct))
        {
            await fromOtherAddress.ConnectAsync(new Uri(balancer.FrontendUri, "/other"), invoker, timeout.Token);
        }

        Assert.Equal(503, refused.Status);
        Assert.Equal("too many sessions from this address (limit 2)", refused.Reason);
        await fromOtherAddress.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await first.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.Equal(3, backend.Connections.Count);
        Assert.Contains(balancer.Sessions.Sessions, s => s.RemoteAddress == OtherLoopback.ToString());
        Assert.Equal(1, (await ScrapeAsync(balancer, ct)).Value(RefusedSeries, ("reason", "address_limit")));
        await fromOtherAddress.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
    }

    [Fact]
    public async Task DialsThatFail_GiveBackTheirSlots()
    {
        var ct = TestContext.Current.CancellationToken;
        var dead = await TestBackend.StartAsync("dead", ct);
        await dead.DisposeAsync(); // its port now refuses connections
        await using var balancer = await TestBalancer.StartAsync([dead], ct, server: s => s with { FrontendMaxSessions = 2 });

        // Three times the limit: a slot kept by a failed dial would turn these 502s into 503s.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(502, (await FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, $"/attempt/{i}", ct)).Status);
        }

        await using var live = await TestBackend.StartAsync("live", ct);
        var added = await balancer.AddBackendAsync($$"""{"url":"{{live.Url}}","id":"live"}""", ct);
        Assert.Equal(AdminHttp.Success, added.Body);
        using var first = await balancer.ConnectAsync("/first", ct);
        using var second = await balancer.ConnectAsync("/second", ct);

        await first.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await second.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.Equal(2, balancer.Admission.Count);
    }

    [Fact]
    public async Task DialInFlight_HoldsItsSlot_UntilTheDialFails()
    {
        var ct = TestContext.Current.CancellationToken;
        // A backend that takes the TCP connection and never answers the handshake: the dial stays in flight.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct, server: s => s with { FrontendMaxSessions = 1 });
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        Assert.Equal(AdminHttp.Success, (await balancer.AddBackendAsync($$"""{"url":"ws://127.0.0.1:{{port}}","id":"silent"}""", ct)).Body);

        var waiting = FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, "/waiting", ct);
        using var dialed = await AcceptAsync(silent, ct);
        var refused = await FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, "/refused", ct);
        dialed.Client.Close(); // the dial fails: its client gets 502 and its slot comes back

        Assert.Equal(503, refused.Status);
        Assert.Equal("session limit reached (limit 1)", refused.Reason);
        Assert.Equal(502, (await waiting).Status);
        await WaitForSlotsAsync(balancer, 0, ct);
    }

    private static async Task<TcpClient> AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        return await listener.AcceptTcpClientAsync(timeout.Token);
    }

    private static async Task WaitForSlotsAsync(TestBalancer balancer, int count, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (balancer.Admission.Count != count)
        {
            await Task.Delay(10, timeout.Token); // no event for "slot given back": polled briefly, bounded by the timeout
        }
    }

    private static async Task<AdminMetricsText> ScrapeAsync(TestBalancer balancer, CancellationToken ct) =>
        AdminMetricsText.Parse(await balancer.Admin.GetStringAsync("/metrics", ct));

    /// <summary>An HTTP client whose connections leave from <paramref name="local"/>, for a WebSocket from another address.</summary>
    private static HttpMessageInvoker InvokerBoundTo(IPAddress local) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });
}

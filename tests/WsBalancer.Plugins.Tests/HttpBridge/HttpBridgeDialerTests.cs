using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.HttpBridge;

public sealed class HttpBridgeDialerTests
{
    [Fact]
    public async Task DialUpstreamAsync_ProbeAnswers2xx_ConnectsWithHostPortId()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var backend = await RestBackend.StartAsync(ct);
        backend.Handler = (_, http) =>
        {
            http.Response.StatusCode = 204;
            return Task.CompletedTask;
        };
        using var dialer = Dialers.Create(("url", backend.Url.ToString()));
        var session = new BridgeSession();

        var connection = await dialer.DialUpstreamAsync(session.Context("ws://balancer.test/chat/7?room=blue"), ct);

        Assert.Equal($"127.0.0.1-{backend.Port}", connection.BackendId);
        Assert.StartsWith(connection.BackendId + ".", connection.Id, StringComparison.Ordinal);
        Assert.Null(connection.Subprotocol);
        Assert.Empty(connection.AdditionalHeaders);
        var probe = Assert.Single(backend.Requests);
        Assert.Equal("HEAD", probe.Method);
        Assert.Equal("/chat/7?room=blue", probe.Target);
        await connection.CloseWithinAsync(ct);
    }

    [Theory]
    [InlineData("GET", "GET")]
    [InlineData("get", "GET")]
    [InlineData("none", null)]
    public async Task DialUpstreamAsync_OpenMethod_SendsThatProbe(string openMethod, string? expected)
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var backend = await RestBackend.StartAsync(ct);
        using var dialer = Dialers.Create(("url", backend.Url.ToString()), ("open-method", openMethod));

        var connection = await dialer.DialUpstreamAsync(new BridgeSession().Context(), ct);

        Assert.Equal(expected, backend.Requests.SingleOrDefault()?.Method);
        Assert.Equal($"127.0.0.1-{backend.Port}", connection.BackendId);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(429)]
    public async Task DialUpstreamAsync_ProbeAnswers4xx_DeclinedWithThatStatus(int status)
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var backend = await RestBackend.StartAsync(ct);
        await using var other = await RestBackend.StartAsync(ct);
        backend.Handler = (_, http) =>
        {
            http.Response.StatusCode = status;
            return Task.CompletedTask;
        };
        using var dialer = Dialers.Create(("url", $"{backend.Url},{other.Url}"));

        var declined = await Assert.ThrowsAsync<ConnectionDeclinedException>(
            async () => await dialer.DialUpstreamAsync(new BridgeSession().Context(), ct));

        Assert.Equal(status, declined.Code);
        Assert.Equal($"127.0.0.1-{backend.Port}", declined.Id);
        Assert.Empty(other.Requests); // a refusal is the backend's answer to this client: no other URL is asked
    }

    [Fact]
    public async Task DialUpstreamAsync_ProbeAnswers3xx_DeclinedWithoutFollowingIt()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var backend = await RestBackend.StartAsync(ct);
        backend.Handler = (request, http) =>
        {
            if (request.Target == "/chat")
            {
                http.Response.StatusCode = 302;
                http.Response.Headers.Location = "/elsewhere";
            }

            return Task.CompletedTask;
        };
        using var dialer = Dialers.Create(("url", backend.Url.ToString()));

        var declined = await Assert.ThrowsAsync<ConnectionDeclinedException>(
            async () => await dialer.DialUpstreamAsync(new BridgeSession().Context("ws://balancer.test/chat"), ct));

        Assert.Equal(302, declined.Code);
        Assert.Equal("/chat", Assert.Single(backend.Requests).Target);
    }

    [Fact]
    public async Task DialUpstreamAsync_FirstUrlAnswers5xx_ConnectsToSecond()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var failing = await RestBackend.StartAsync(ct);
        await using var healthy = await RestBackend.StartAsync(ct);
        failing.Handler = (_, http) =>
        {
            http.Response.StatusCode = 503;
            return Task.CompletedTask;
        };
        using var dialer = Dialers.Create(out var context, null, ("url", $"{failing.Url},{healthy.Url}"));

        var connection = await dialer.DialUpstreamAsync(new BridgeSession().Context(), ct);

        Assert.Equal($"127.0.0.1-{healthy.Port}", connection.BackendId);
        Assert.Single(failing.Requests);
        Assert.Contains(context.Log.Entries, e => e.EventId == 5102 && e.Message.Contains("503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DialUpstreamAsync_EveryUrlDown_ThrowsSystemUnavailable()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        using var dialer = Dialers.Create(("url", $"http://127.0.0.1:{ClosedPort()},http://127.0.0.1:{ClosedPort()}/api"));

        var unavailable = await Assert.ThrowsAsync<SystemUnavailableException>(
            async () => await dialer.DialUpstreamAsync(new BridgeSession().Context(), ct));

        Assert.Contains("none of 2", unavailable.Message, StringComparison.Ordinal);
        Assert.Equal(0, unavailable.Code);
    }

    [Fact]
    public async Task DialUpstreamAsync_ProbeGetsNoAnswerInTime_TriesNextUrl()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        var time = new FakeTimeProvider();
        await using var silent = await RestBackend.StartAsync(ct);
        await using var healthy = await RestBackend.StartAsync(ct);
        silent.Handler = (_, http) => silent.HoldAsync(http);
        using var dialer = Dialers.Create(out _, time, ("url", $"{silent.Url},{healthy.Url}"), ("timeout", "2s"));

        var dial = dialer.DialUpstreamAsync(new BridgeSession().Context(), ct).AsTask();
        await silent.WaitForHeldAsync(1, ct);
        time.Advance(TimeSpan.FromSeconds(2));
        var connection = await dial.WaitAsync(ct);

        Assert.Equal($"127.0.0.1-{healthy.Port}", connection.BackendId);
    }

    [Fact]
    public async Task DialUpstreamAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var silent = await RestBackend.StartAsync(ct);
        await using var healthy = await RestBackend.StartAsync(ct);
        silent.Handler = (_, http) => silent.HoldAsync(http);
        using var dialer = Dialers.Create(("url", $"{silent.Url},{healthy.Url}"));
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var dial = dialer.DialUpstreamAsync(new BridgeSession().Context(), session.Token).AsTask();
        await silent.WaitForHeldAsync(1, ct);
        await session.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dial.WaitAsync(ct));
        Assert.Empty(healthy.Requests);
    }

    [Fact]
    public async Task DialUpstreamAsync_SuccessiveDials_GoRoundRobin()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var first = await RestBackend.StartAsync(ct);
        await using var second = await RestBackend.StartAsync(ct);
        using var dialer = Dialers.Create(("url", $"{first.Url},{second.Url}"), ("open-method", "none"));

        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await dialer.DialUpstreamAsync(new BridgeSession().Context(), ct)).BackendId);
        }

        var a = $"127.0.0.1-{first.Port}";
        var b = $"127.0.0.1-{second.Port}";
        Assert.Equal([a, b, a, b], ids);
    }

    [Fact]
    public async Task DialUpstreamAsync_ReplacingAConnection_TriesItsUrlLast()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var first = await RestBackend.StartAsync(ct);
        await using var second = await RestBackend.StartAsync(ct);
        using var dialer = Dialers.Create(("url", $"{first.Url},{second.Url}"));
        var old = await dialer.DialUpstreamAsync(new BridgeSession().Context(), ct);
        Assert.Equal($"127.0.0.1-{first.Port}", old.BackendId);
        second.Handler = (_, http) =>
        {
            http.Response.StatusCode = 500;
            return Task.CompletedTask;
        };
        first.Handler = (_, http) =>
        {
            http.Response.StatusCode = 200;
            return Task.CompletedTask;
        };

        var session = new BridgeSession();
        await dialer.DialUpstreamAsync(session.Context(), ct); // second (500), then first: the cursor moves on

        // Round robin now starts at the first URL, the one being left: it is tried only after the second failed.
        var replacement = await dialer.DialUpstreamAsync(session.Context(old: old), ct);

        Assert.Equal($"127.0.0.1-{first.Port}", replacement.BackendId);
        Assert.Equal(2, second.Requests.Count);
    }

    [Fact]
    public async Task DialUpstreamAsync_AfterDispose_Throws()
    {
        using var bounded = Bounded.By(TestContext.Current.CancellationToken);
        var ct = bounded.Token;
        await using var backend = await RestBackend.StartAsync(ct);
        var dialer = Dialers.Create(("url", backend.Url.ToString()));
        dialer.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await dialer.DialUpstreamAsync(new BridgeSession().Context(), ct));
        Assert.Empty(backend.Requests);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed: connecting is refused
    }
}

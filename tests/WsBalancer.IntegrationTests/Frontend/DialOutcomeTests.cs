using System.Net.WebSockets;
using Bogus;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>How the first dial's outcome reaches the client: declined → same status, unavailable → next backend, none left → 502.</summary>
public sealed class DialOutcomeTests
{
    private readonly Faker _faker = new();

    [Theory]
    [InlineData(300, 300)]
    [InlineData(303, 303)]
    [InlineData(400, 400)]
    [InlineData(401, 401)]
    [InlineData(402, 402)]
    [InlineData(403, 403)]
    [InlineData(500, 502)]
    [InlineData(501, 502)]
    [InlineData(502, 502)]
    [InlineData(503, 502)]
    public async Task Handshake_BackendAnswersStatus_ClientGetsDeclinedStatusOr502(int backendStatus, int clientStatus)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.DeclineStatus = backendStatus;
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var status = await balancer.HandshakeStatusAsync($"/{_faker.Lorem.Word()}", ct);
        var reply = await FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, "/again", ct);

        Assert.Equal(clientStatus, status);
        Assert.Equal(clientStatus, reply.Status);
        Assert.False(string.IsNullOrWhiteSpace(reply.Reason));
        Assert.Empty(backend.Connections);
    }

    [Fact]
    public async Task Handshake_OneOfTwoBackendsDeclines_NextBackendNotTried()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var declining = await TestBackend.StartAsync("declining", ct);
        declining.DeclineStatus = 403;
        await using var healthy = await TestBackend.StartAsync("healthy", ct);
        await using var balancer = await TestBalancer.StartAsync([declining, healthy], ct);

        // Round robin starts successive dials on successive backends, so one of two attempts starts on the declining one.
        var statuses = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            statuses.Add(await TryHandshakeAsync(balancer, $"/attempt/{i}", ct));
        }

        Assert.Equal([101, 403], statuses.Order());
        Assert.Single(healthy.Connections);
    }

    [Fact]
    public async Task Handshake_OneOfTwoBackendsUnavailable_NextBackendServes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var failing = await TestBackend.StartAsync("failing", ct);
        failing.DeclineStatus = 503;
        await using var healthy = await TestBackend.StartAsync("healthy", ct);
        await using var balancer = await TestBalancer.StartAsync([failing, healthy], ct);

        var statuses = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            statuses.Add(await TryHandshakeAsync(balancer, $"/attempt/{i}", ct));
        }

        Assert.Equal([101, 101], statuses);
        Assert.Equal(2, healthy.Connections.Count);
    }

    [Fact]
    public async Task Handshake_AllBackendsDown_502WithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        await using var balancer = await TestBalancer.StartAsync([b1, b2], ct);
        await b1.DisposeAsync();
        await b2.DisposeAsync();

        var status = await balancer.HandshakeStatusAsync("/nobody/home", ct);
        var reply = await FrontendHttp.RefusedUpgradeAsync(balancer.FrontendUri, "/nobody/home", ct);

        Assert.Equal(502, status);
        Assert.Equal(502, reply.Status);
        Assert.False(string.IsNullOrWhiteSpace(reply.Reason));
    }

    /// <summary>101 when the handshake succeeded (the client is closed right away), else the refusal's status.</summary>
    private static async Task<int> TryHandshakeAsync(TestBalancer balancer, string pathAndQuery, CancellationToken cancellationToken)
    {
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        using var timeout = Timeouts.Linked(cancellationToken);
        try
        {
            await client.ConnectAsync(new Uri(balancer.FrontendUri, pathAndQuery), timeout.Token);
        }
        catch (WebSocketException)
        {
            return (int)client.HttpStatusCode;
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        return 101;
    }
}

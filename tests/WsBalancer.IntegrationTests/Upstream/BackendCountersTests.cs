using System.Net.WebSockets;
using Bogus;

namespace WsBalancer.IntegrationTests.Upstream;

public sealed class BackendCountersTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task BackendList_OpenThreeCloseOne_ActiveDropsTotalStays()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var clients = new List<ClientWebSocket>();
        for (var i = 0; i < 3; i++)
        {
            var client = await balancer.ConnectAsync($"/{_faker.Random.AlphaNumeric(8)}", ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
            clients.Add(client);
        }

        var opened = await balancer.BackendAsync("b1", ct);
        Assert.Equal((3L, 3L, 0L), (opened.ActiveConnections, opened.TotalConnections, opened.TotalFailures));

        using (var timeout = Timeouts.Linked(ct))
        {
            await clients[0].CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        var afterClose = await balancer.WaitForBackendAsync("b1", row => row.ActiveConnections == 2, ct);
        Assert.Equal(3, afterClose.TotalConnections);
        Assert.Equal(0, afterClose.TotalFailures);
        await balancer.WaitForSessionsAsync(2, ct);

        backend.DeclineStatus = 503; // unavailable: a failure
        Assert.Equal(502, await balancer.HandshakeStatusAsync("/down", ct));
        backend.DeclineStatus = 403; // declined: the backend is alive, not a failure
        Assert.Equal(403, await balancer.HandshakeStatusAsync("/forbidden", ct));

        var final = await balancer.BackendAsync("b1", ct);
        Assert.Equal((2L, 3L, 1L), (final.ActiveConnections, final.TotalConnections, final.TotalFailures));
    }
}

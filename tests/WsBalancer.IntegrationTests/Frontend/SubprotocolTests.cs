using Bogus;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>Dial first, then accept: the backend sees every subprotocol the client offered and the client gets the backend's choice.</summary>
public sealed class SubprotocolTests
{
    private readonly Faker _faker = new();

    [Theory]
    [InlineData("", "ocpp1.6", null)]
    [InlineData("ocpp1.6", "ocpp2.0.1", null)]
    [InlineData("ocpp1.6,ocpp2.0.1", "ocpp1.6", "ocpp1.6")]
    [InlineData("ocpp1.6,ocpp2.0.1", "ocpp2.0.1", "ocpp2.0.1")]
    [InlineData("v1.chat,v2.chat,v3.chat", "v3.chat,v2.chat", "v2.chat")]
    public async Task Dial_ClientOffersSubprotocols_BackendSeesOfferAndClientGetsBackendChoice(string offered, string supported, string? expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.Subprotocols = Split(supported);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var offer = Split(offered);

        var client = await balancer.ConnectAsync("/sub", ct, o =>
        {
            foreach (var protocol in offer)
            {
                o.AddSubProtocol(protocol);
            }
        });
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        var connection = (await backend.SingleConnectionAsync(ct));
        Assert.Equal(offer, connection.OfferedSubprotocols);
        Assert.Equal(expected, connection.Subprotocol);
        Assert.Equal(expected, client.SubProtocol);
        var answered = client.HttpResponseHeaders!.Where(h => h.Key.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase)).SelectMany(h => h.Value);
        Assert.Equal(expected is null ? [] : [expected], answered);
    }

    [Fact]
    public async Task Dial_SubprotocolsOnSeveralHeaderLines_BackendSeesAllAndClientGetsChoice()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.Subprotocols = ["gamma"];
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/lines", ct,
        [
            new("Sec-WebSocket-Protocol", "alpha"),
            new("Sec-WebSocket-Protocol", "beta, gamma"),
        ]);
        await backend.WaitForConnectionsAsync(1, ct);

        var connection = (await backend.SingleConnectionAsync(ct));
        Assert.Equal(["alpha", "beta", "gamma"], connection.OfferedSubprotocols);
        Assert.Equal("gamma", connection.Subprotocol);
        Assert.Equal(["gamma"], client.Response.Values("Sec-WebSocket-Protocol"));
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

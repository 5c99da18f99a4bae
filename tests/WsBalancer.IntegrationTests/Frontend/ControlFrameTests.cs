using System.Net.WebSockets;
using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>
/// Pings on both legs: the balancer answers the client's pings itself and pings each backend every ping-time. Control
/// frames belong to one leg and never cross the proxy as data.
/// </summary>
public sealed class ControlFrameTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task ClientPing_WithPayload_PongWithSamePayloadAndNothingForwarded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/ping", ct);
        var payload = _faker.Random.Bytes(_faker.Random.Int(1, 125)); // §5.5: control payloads are at most 125 bytes
        var text = _faker.Lorem.Sentence();

        await client.SendFrameAsync(RawOpcode.Ping, payload, ct);
        var pong = await client.ReceiveFrameAsync(ct);
        await client.SendTextAsync(text, ct);
        var echo = await client.ReceiveFrameAsync(ct);

        Assert.Equal(RawOpcode.Pong, pong.Opcode);
        Assert.Equal(payload, pong.Payload);
        Assert.False(pong.Masked); // §5.1: a server never masks
        Assert.Equal((RawOpcode.Text, text), (echo.Opcode, echo.Text));
        var received = (await backend.SingleConnectionAsync(ct)).Received;
        Assert.Equal([(WebSocketMessageType.Text, text)], received.Select(f => (f.Type, f.Text)));
    }

    [Fact]
    public async Task ClientPingsAndPongs_BetweenFragments_AnsweredAndBackendGetsOneWholeMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/fragments", ct);
        var parts = new[] { _faker.Lorem.Sentence(), _faker.Lorem.Sentence(), _faker.Lorem.Sentence() };
        var pings = new[] { _faker.Random.Bytes(8), _faker.Random.Bytes(16) };

        // §5.4: control frames may be injected in the middle of a fragmented message.
        await client.SendFrameAsync(RawOpcode.Text, Encoding.UTF8.GetBytes(parts[0]), ct, fin: false);
        await client.SendFrameAsync(RawOpcode.Ping, pings[0], ct);
        await client.SendFrameAsync(RawOpcode.Continuation, Encoding.UTF8.GetBytes(parts[1]), ct, fin: false);
        await client.SendFrameAsync(RawOpcode.Pong, _faker.Random.Bytes(4), ct); // unsolicited pong (§5.5.3): no answer
        await client.SendFrameAsync(RawOpcode.Ping, pings[1], ct);
        await client.SendFrameAsync(RawOpcode.Continuation, Encoding.UTF8.GetBytes(parts[2]), ct, fin: true);
        var frames = new List<RawFrame>();
        while (!frames.Any(f => f.Opcode == RawOpcode.Text))
        {
            frames.Add(await client.ReceiveFrameAsync(ct));
        }

        var whole = string.Concat(parts);
        Assert.Equal(pings, frames.Where(f => f.Opcode == RawOpcode.Pong).Select(f => f.Payload));
        Assert.Equal(whole, frames.Single(f => f.Opcode == RawOpcode.Text).Text);
        Assert.Equal([(WebSocketMessageType.Text, whole)], (await backend.SingleConnectionAsync(ct)).Received.Select(f => (f.Type, f.Text)));
    }

    [Fact]
    public async Task BackendLeg_PingTimeElapses_BackendReceivesPingsAndSessionStays()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = RawWebSocketServer.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddRawBackendAsync(balancer, server, pingTime: "200ms", ct);
        var client = await balancer.ConnectAsync("/pinged", ct);
        var connection = await server.WaitForConnectionAsync(0, ct);

        var frames = await connection.WaitForFramesAsync(f => f.Count(x => x.Opcode == RawOpcode.Ping) >= 2, ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        var pings = frames.Where(f => f.Opcode == RawOpcode.Ping).ToList();
        Assert.All(pings, p => Assert.True(p.Masked && p.Fin && p.Payload.Length <= 125));
        Assert.DoesNotContain(frames, f => f.Opcode is RawOpcode.Text or RawOpcode.Binary or RawOpcode.Close);
        Assert.Single(server.Connections); // pongs answered: no failover, no re-dial
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task BackendPing_WithPayload_AnsweredOnBackendLegAndNotForwardedToClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = RawWebSocketServer.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddRawBackendAsync(balancer, server, pingTime: null, ct);
        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/backend-ping", ct);
        var connection = await server.WaitForConnectionAsync(0, ct);
        var payload = _faker.Random.Bytes(_faker.Random.Int(1, 125));
        var text = _faker.Lorem.Sentence();

        await connection.SendFrameAsync(RawOpcode.Ping, payload, ct);
        await connection.SendTextAsync(text, ct);
        var first = await client.ReceiveFrameAsync(ct);
        var frames = await connection.WaitForFramesAsync(f => f.Any(x => x.Opcode == RawOpcode.Pong), ct);

        Assert.Equal((RawOpcode.Text, text), (first.Opcode, first.Text)); // the ping did not reach the client
        Assert.Equal(payload, frames.Single(f => f.Opcode == RawOpcode.Pong).Payload);
    }

    private static async Task AddRawBackendAsync(TestBalancer balancer, RawWebSocketServer server, string? pingTime, CancellationToken cancellationToken)
    {
        var pingSetting = pingTime is null ? string.Empty : $",\"ping-time\":\"{pingTime}\"";
        using var content = new StringContent($$"""{"url":"{{server.Url}}","id":"raw"{{pingSetting}}}""", Encoding.UTF8, "application/json");
        using var response = await balancer.Admin.PostAsync("/backend/add", content, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }
}

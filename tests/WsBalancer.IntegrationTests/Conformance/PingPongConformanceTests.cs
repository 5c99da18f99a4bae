using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>RFC 6455 §5.5.2–§5.5.3 pings and pongs, answered by the balancer on the client's leg.</summary>
public sealed class PingPongConformanceTests(EchoBalancerFixture fixture) : IClassFixture<EchoBalancerFixture>
{
    private readonly Faker _faker = new();

    [Theory]
    [InlineData(0, 0)]
    [InlineData(13, 0)]
    [InlineData(125, 0)]
    [InlineData(125, 1)]
    [InlineData(64, 7)]
    public async Task Ping_WithPayload_PongWithSamePayload(int length, int chopSize)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var payload = _faker.Random.Bytes(length); // any bytes: a ping's payload need not be UTF-8
        var ping = new OutgoingFrame(OutgoingFrame.Ping, payload);

        Assert.True(await (chopSize == 0 ? client.SendAsync(ping, ct) : client.SendChoppedAsync([ping], chopSize, ct)));

        Assert.Equal(payload, await client.ExpectPongAsync(ct));
        await client.ExpectCleanCloseAsync(ct);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct)); // control frames belong to one leg
    }

    [Theory]
    [InlineData(OutgoingFrame.Ping, 126)]
    [InlineData(OutgoingFrame.Pong, 126)]
    [InlineData(OutgoingFrame.Close, 126)]
    [InlineData(OutgoingFrame.Ping, 65535)]
    public async Task ControlFrame_PayloadOver125_ConnectionFailedWithProtocolError(byte opcode, int length)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        byte[] payload = opcode == OutgoingFrame.Close ? [0x03, 0xE8, .. _faker.Random.Bytes(length - 2)] : _faker.Random.Bytes(length);

        // §5.5: all control frames MUST have a payload of 125 bytes or less.
        await client.SendAsync(new OutgoingFrame(opcode, payload), ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002, dropAllowed: opcode == OutgoingFrame.Close);
        Assert.Empty(transcript.Pongs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(125)]
    public async Task Pong_Unsolicited_NothingSentInReply(int length)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // §5.5.3: an unsolicited pong serves as a heartbeat; no response is expected. The close's answer arriving
        // first proves nothing was sent for the pong (TCP keeps order).
        await client.SendAsync(new OutgoingFrame(OutgoingFrame.Pong, _faker.Random.Bytes(length)), ct);
        await client.ExpectCleanCloseAsync(ct);

        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Fact]
    public async Task Pong_UnsolicitedThenPing_OnlyThePingAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var payload = Encoding.UTF8.GetBytes(_faker.Lorem.Word());

        await client.SendAsync([new OutgoingFrame(OutgoingFrame.Pong, _faker.Random.Bytes(8)), new OutgoingFrame(OutgoingFrame.Ping, payload)], ct);

        Assert.Equal(payload, await client.ExpectPongAsync(ct));
        await client.ExpectCleanCloseAsync(ct);
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 1)]
    public async Task Pings_Several_EachAnsweredInOrder(int count, int chopSize)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var payloads = Enumerable.Range(0, count).Select(i => Encoding.UTF8.GetBytes($"{i}:{_faker.Random.AlphaNumeric(20)}")).ToList();
        var pings = payloads.Select(p => new OutgoingFrame(OutgoingFrame.Ping, p)).ToList();

        // §5.5.3 lets a server answer only the most recent of several pings; the balancer answers each.
        Assert.True(await (chopSize == 0 ? client.SendAsync(pings, ct) : client.SendChoppedAsync(pings, chopSize, ct)));
        var pongs = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            pongs.Add(await client.ExpectPongAsync(ct));
        }

        Assert.Equal(payloads, pongs);
        await client.ExpectCleanCloseAsync(ct);
    }
}

using System.Net.WebSockets;
using Bogus;

namespace WsBalancer.IntegrationTests.Forwarding;

public sealed class EchoTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task Forward_TextAndBinary_BackendSeesExactBytesAndType()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var client = await balancer.ConnectAsync("/chat", ct);

        var text = _faker.Lorem.Sentence(12) + " ✓ ünïcødé";
        await client.SendTextAsync(text, ct);
        var echoedText = await client.ReceiveMessageAsync(ct);
        var binary = _faker.Random.Bytes(_faker.Random.Int(1, 70_000));
        await client.SendBinaryAsync(binary, ct);
        var echoedBinary = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketMessageType.Text, echoedText.Type);
        Assert.Equal(text, echoedText.Text);
        Assert.Equal(WebSocketMessageType.Binary, echoedBinary.Type);
        Assert.Equal(binary, echoedBinary.Data);
        var seen = (await backend.SingleConnectionAsync(ct)).Received;
        Assert.Equal([WebSocketMessageType.Text, WebSocketMessageType.Binary], seen.Select(f => f.Type));
        Assert.Equal(text, seen[0].Text);
        Assert.Equal(binary, seen[1].Data);
    }
}

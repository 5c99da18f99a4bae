using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>The client's 101: the backend's configured pass-headers, and the client leg's own extension negotiation.</summary>
public sealed class HandshakeResponseTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task Accept_PassHeadersConfigured_OnlyThoseBackendHeadersReachClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        var token = _faker.Random.Hash();
        backend.ResponseHeaders["X-Backend-Token"] = token;
        backend.ResponseHeaders["X-Other"] = _faker.Lorem.Word();
        await using var balancer = await TestBalancer.StartAsync([backend], ct, backend: b => b with { PassHeaders = ["X-Backend-Token"] });

        var client = await balancer.ConnectAsync("/pass", ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        Assert.Equal([token], ResponseHeader(client, "X-Backend-Token"));
        Assert.Empty(ResponseHeader(client, "X-Other"));
    }

    [Fact]
    public async Task Accept_NoPassHeadersConfigured_NoBackendHeaderReachesClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.ResponseHeaders["X-Backend-Token"] = _faker.Random.Hash();
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var client = await balancer.ConnectAsync("/nopass", ct);

        Assert.Empty(ResponseHeader(client, "X-Backend-Token"));
    }

    [Fact]
    public async Task Accept_ClientOffersDeflateCompressionOff_NoExtensionAndEchoWorks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var client = await balancer.ConnectAsync("/plain", ct, o => o.DangerousDeflateOptions = new WebSocketDeflateOptions());
        var text = _faker.Lorem.Paragraphs(3);
        await client.AssertEchoAsync(text, ct);

        Assert.Empty(ResponseHeader(client, "Sec-WebSocket-Extensions"));
        Assert.Equal(text, (await backend.SingleConnectionAsync(ct)).Received.Single().Text);
    }

    [Fact]
    public async Task Accept_CompressionOn_DeflateNegotiatedAndLargeTextRoundTrips()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { Compression = true });

        var client = await balancer.ConnectAsync("/deflate", ct, o => o.DangerousDeflateOptions = new WebSocketDeflateOptions());
        var text = CompressibleText(20 * 1024);
        await client.AssertEchoAsync(text, ct);
        var binary = Encoding.UTF8.GetBytes(CompressibleText(20 * 1024));
        await client.SendBinaryAsync(binary, ct);
        var echoedBinary = await client.ReceiveMessageAsync(ct);

        Assert.Contains(ResponseHeader(client, "Sec-WebSocket-Extensions"), v => v.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(binary, echoedBinary.Data);
        var received = (await backend.SingleConnectionAsync(ct)).Received;
        Assert.Equal(text, received[0].Text);
        Assert.Equal(binary, received[1].Data);
    }

    [Fact]
    public async Task Accept_CompressionOn_MessagesToClientAreDeflatedOnTheWire()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { Compression = true });
        var text = CompressibleText(20 * 1024);

        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/wire", ct,
            [new("Sec-WebSocket-Extensions", "permessage-deflate")]);
        await client.SendTextAsync(text, ct); // RFC 7692 §6: a sender may leave any message uncompressed
        var echo = await client.ReceiveFrameAsync(ct);

        Assert.Contains("permessage-deflate", client.Response.Value("Sec-WebSocket-Extensions"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(RawOpcode.Text, echo.Opcode);
        Assert.Equal(0x4, echo.Rsv); // RSV1: a compressed message
        Assert.True(echo.Payload.Length < text.Length / 4, $"{echo.Payload.Length} bytes on the wire for {text.Length} of text");
        Assert.Equal(text, Inflate(echo.Payload));
        Assert.Equal(text, (await backend.SingleConnectionAsync(ct)).Received.Single().Text);
    }

    [Fact]
    public async Task Accept_CompressionOnClientOffersNothing_NoExtensionAndEchoWorks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { Compression = true });

        var client = await balancer.ConnectAsync("/no-offer", ct);
        await client.AssertEchoAsync(CompressibleText(4 * 1024), ct);

        Assert.Empty(ResponseHeader(client, "Sec-WebSocket-Extensions"));
    }

    private string CompressibleText(int length)
    {
        var builder = new StringBuilder(length + 200);
        var sentence = _faker.Lorem.Sentence(8) + " ";
        while (builder.Length < length)
        {
            builder.Append(sentence);
        }

        return builder.ToString(0, length);
    }

    /// <summary>RFC 7692 §7.2.2: append the stripped 0x00 0x00 0xff 0xff tail, then inflate.</summary>
    private static string Inflate(byte[] payload)
    {
        using var input = new MemoryStream([.. payload, 0x00, 0x00, 0xFF, 0xFF]);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        inflater.CopyTo(output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static string[] ResponseHeader(ClientWebSocket client, string name) =>
        [.. client.HttpResponseHeaders!.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).SelectMany(h => h.Value)];
}

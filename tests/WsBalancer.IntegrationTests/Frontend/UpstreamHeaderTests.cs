using System.Net.WebSockets;
using Bogus;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>Which client handshake headers reach the backend, and which are dropped, replaced or added.</summary>
public sealed class UpstreamHeaderTests
{
    private const string DefaultReconnectHeader = "X-Balancer-Reconnect";

    private readonly Faker _faker = new();

    [Fact]
    public async Task Dial_ClientCustomHeaders_ArriveAtBackendUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var sent = HeaderNames(4).ToDictionary(name => name, _ => _faker.Lorem.Sentence(4));

        await balancer.ConnectAsync("/h", ct, o =>
        {
            foreach (var (name, value) in sent)
            {
                o.SetRequestHeader(name, value);
            }
        });

        await backend.WaitForConnectionsAsync(1, ct);
        var seen = (await backend.SingleConnectionAsync(ct)).Headers;
        foreach (var (name, value) in sent)
        {
            Assert.True(seen.TryGetValue(name, out var actual), $"{name} did not reach the backend");
            Assert.Equal(value, actual);
        }
    }

    [Fact]
    public async Task Dial_ClientOffersPermessageDeflate_BackendGetsNoExtensionOffer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        var client = await balancer.ConnectAsync("/deflate", ct, o => o.DangerousDeflateOptions = new WebSocketDeflateOptions
        {
            ClientMaxWindowBits = 10,
            ClientContextTakeover = false,
        });
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        await backend.WaitForConnectionsAsync(1, ct);
        var seen = (await backend.SingleConnectionAsync(ct)).Headers;
        Assert.False(seen.ContainsKey("Sec-WebSocket-Extensions"), $"backend got the client's offer: {seen.GetValueOrDefault("Sec-WebSocket-Extensions")}");
    }

    [Fact]
    public async Task Dial_RawClientHandshake_KeyHostAndHopByHopHeadersNotCopied()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var trace = _faker.Random.AlphaNumeric(16);

        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/raw", ct,
        [
            new("Connection", "keep-alive, Upgrade"),
            new("Upgrade", "WebSocket"),
            new("Keep-Alive", "timeout=300"),
            new("Proxy-Connection", "keep-alive"),
            new("TE", "trailers"),
            new("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
            new("X-Trace", trace),
        ]);
        await client.SendTextAsync("hi", ct);
        await client.ReceiveFrameAsync(ct);

        await backend.WaitForConnectionsAsync(1, ct);
        var seen = (await backend.SingleConnectionAsync(ct)).Headers;
        Assert.NotEqual(client.Key, seen["Sec-WebSocket-Key"]); // each leg negotiates its own key
        Assert.Equal(backend.Url.Authority, seen["Host"]);
        Assert.DoesNotContain("keep-alive", seen["Connection"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("websocket", seen["Upgrade"]);
        Assert.Equal("13", seen["Sec-WebSocket-Version"]);
        Assert.False(seen.ContainsKey("Keep-Alive"));
        Assert.False(seen.ContainsKey("Proxy-Connection"));
        Assert.False(seen.ContainsKey("TE"));
        Assert.False(seen.ContainsKey("Sec-WebSocket-Extensions"));
        Assert.Equal(trace, seen["X-Trace"]);
    }

    [Fact]
    public async Task Dial_BlockHeadersConfigured_BlockedNotPassedOthersPassed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        var names = HeaderNames(3);
        var (blocked, alsoBlocked, allowed) = (names[0], names[1], names[2]);
        // Configured in lower case, sent in the client's case: header names are case-insensitive.
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            BlockHeaders = [blocked.ToLowerInvariant(), alsoBlocked.ToUpperInvariant()],
        });

        await balancer.ConnectAsync("/blocked", ct, o =>
        {
            o.SetRequestHeader(blocked, _faker.Random.AlphaNumeric(20));
            o.SetRequestHeader(alsoBlocked, _faker.Random.AlphaNumeric(20));
            o.SetRequestHeader(allowed, "kept");
        });

        await backend.WaitForConnectionsAsync(1, ct);
        var seen = (await backend.SingleConnectionAsync(ct)).Headers;
        Assert.False(seen.ContainsKey(blocked), $"{blocked} was passed");
        Assert.False(seen.ContainsKey(alsoBlocked), $"{alsoBlocked} was passed");
        Assert.Equal("kept", seen[allowed]);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    [InlineData(false, 0)]
    [InlineData(false, 2)]
    public async Task Dial_XForwardedFor_AppendedWhenTrustedElseReplacedByPeer(bool trustReceivedXff, int clientHops)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { TrustReceivedXff = trustReceivedXff });
        var received = string.Join(", ", Enumerable.Range(0, clientHops).Select(_ => _faker.Internet.Ip()));

        await balancer.ConnectAsync("/xff", ct, o =>
        {
            if (clientHops > 0)
            {
                o.SetRequestHeader("X-Forwarded-For", received);
            }
        });

        await backend.WaitForConnectionsAsync(1, ct);
        var expected = trustReceivedXff && clientHops > 0 ? $"{received}, 127.0.0.1" : "127.0.0.1";
        Assert.Equal(expected, (await backend.SingleConnectionAsync(ct)).Headers["X-Forwarded-For"]);
    }

    [Fact]
    public async Task Dial_ClientSendsReconnectHeader_StrippedOnFirstDial()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        await balancer.ConnectAsync("/r", ct, o => o.SetRequestHeader(DefaultReconnectHeader.ToLowerInvariant(), "1"));

        await backend.WaitForConnectionsAsync(1, ct);
        Assert.False((await backend.SingleConnectionAsync(ct)).Headers.ContainsKey(DefaultReconnectHeader));
    }

    [Fact]
    public async Task Dial_CustomReconnectHeader_ClientCopyStrippedAndFailoverDialCarriesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        var reconnectHeader = $"X-{Capitalized(_faker.Lorem.Word())}-Retry";
        await using var balancer = await TestBalancer.StartAsync([b1, b2], ct, server: s => s with { ReconnectHeader = reconnectHeader });
        var client = await balancer.ConnectAsync("/custom", ct, o => o.SetRequestHeader(reconnectHeader, "1"));
        await client.AssertEchoAsync("before", ct);
        var first = b1.Connections.Count == 1 ? b1 : b2;
        var second = first == b1 ? b2 : b1;

        await first.CloseAllAsync(WebSocketCloseStatus.InternalServerError, "crash");
        await second.WaitForConnectionsAsync(1, ct);
        await client.AssertEchoAsync("after", ct);

        Assert.False((await first.SingleConnectionAsync(ct)).Headers.ContainsKey(reconnectHeader), "the client's copy reached the first backend");
        var moved = (await second.SingleConnectionAsync(ct)).Headers;
        Assert.Equal("1", moved[reconnectHeader]);
        Assert.False(moved.ContainsKey(DefaultReconnectHeader));
    }

    /// <summary>Distinct X-{Word} header names that no rule of the balancer treats specially.</summary>
    private string[] HeaderNames(int count)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (names.Count < count)
        {
            names.Add($"X-{Capitalized(_faker.Lorem.Word())}");
        }

        return [.. names];
    }

    private static string Capitalized(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}

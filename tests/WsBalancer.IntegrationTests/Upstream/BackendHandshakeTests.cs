using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Upstream;

/// <summary>
/// The built-in dialer's own opening handshake, through the real host: what a backend receives, and which replies
/// it accepts. Misbehaving backends are <see cref="ScriptedBackend"/>s that write a scripted reply to the upgrade.
/// Every scripted backend gets a handshake timeout above the tests' own limit, so a dial that hangs instead of
/// refusing a reply fails the test instead of ending in a (timeout) 502.
/// </summary>
public sealed class BackendHandshakeTests
{
    private const string Fake = "fake";

    private readonly Faker _faker = new();

    [Fact]
    public async Task Dial_Scripted101Correct_SessionWorksWithChosenSubprotocol()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = ScriptedBackend.Start(async (x, token) =>
        {
            await x.WriteAsync(Reply101(x, "Sec-WebSocket-Protocol: chat\r\n"), token);
            await EchoAsync(x, token);
        });
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct);

        var client = await balancer.ConnectAsync(Path(), ct, o => o.AddSubProtocol("chat"));
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        Assert.Equal("chat", client.SubProtocol);
        var row = await balancer.BackendAsync(Fake, ct);
        Assert.Equal((1L, 0L), (row.TotalConnections, row.TotalFailures));
    }

    [Fact]
    public async Task Dial_101WithWrongAccept_502AndCountedAsBackendFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = ScriptedBackend.Start((x, token) =>
            ReplyAndHoldAsync(x, Reply101(x, accept: RawWebSocketProtocol.AcceptFor(RawWebSocketProtocol.NewKey())), token));
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct, breakerThreshold: 2);

        Assert.Equal(502, await balancer.HandshakeStatusAsync(Path(), ct));
        var first = await balancer.BackendAsync(Fake, ct);
        Assert.Equal(502, await balancer.HandshakeStatusAsync(Path(), ct));
        var second = await balancer.BackendAsync(Fake, ct);

        Assert.Equal((0L, 1L, false), (first.TotalConnections, first.TotalFailures, first.Tripped));
        Assert.Equal((0L, 2L, true), (second.TotalConnections, second.TotalFailures, second.Tripped)); // the breaker counted both
        foreach (var exchange in fake.Exchanges)
        {
            await exchange.BalancerHungUp.WaitAsync(Timeouts.Default, ct); // the refused connection was closed, not leaked
        }

        Assert.Equal(2, fake.Exchanges.Count);
    }

    [Theory]
    [InlineData("chat", "superchat")]
    [InlineData("", "chat")]
    [InlineData("chat,wamp", "chat, wamp")]
    public async Task Dial_101ChoosesSubprotocolNotOffered_502(string offered, string chosen)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = ScriptedBackend.Start((x, token) => ReplyAndHoldAsync(x, Reply101(x, $"Sec-WebSocket-Protocol: {chosen}\r\n"), token));
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct);
        var offer = offered.Split(',', StringSplitOptions.RemoveEmptyEntries);

        var status = await RefusedStatusAsync(balancer, offer, ct);

        Assert.Equal(502, status);
        var exchange = await fake.WaitForExchangeAsync(0, ct);
        string[] expectedOffer = offer.Length == 0 ? [] : [string.Join(", ", offer)];
        Assert.Equal(expectedOffer, exchange.Request.Values("Sec-WebSocket-Protocol"));
        Assert.Equal(1, (await balancer.BackendAsync(Fake, ct)).TotalFailures);
        await exchange.BalancerHungUp.WaitAsync(Timeouts.Default, ct);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Extensions: permessage-deflate\r\n")]
    [InlineData("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n")]
    [InlineData("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n")]
    public async Task Dial_101ChoosesExtensionNotOffered_502(string extensionLine)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = ScriptedBackend.Start((x, token) => ReplyAndHoldAsync(x, Reply101(x, extensionLine), token));
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct);

        // The client offers compression to the balancer; the backend leg must still offer (and accept) none.
        var status = await RefusedStatusAsync(balancer, [], ct, o => o.DangerousDeflateOptions = new WebSocketDeflateOptions());

        Assert.Equal(502, status);
        var exchange = await fake.WaitForExchangeAsync(0, ct);
        Assert.Empty(exchange.Request.Values("Sec-WebSocket-Extensions"));
        Assert.Equal(1, (await balancer.BackendAsync(Fake, ct)).TotalFailures);
        await exchange.BalancerHungUp.WaitAsync(Timeouts.Default, ct);
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade : websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")]
    public async Task Dial_ReplyNotAnUpgrade_502AndCountedAsBackendFailure(string reply)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = ScriptedBackend.Start((x, token) => ReplyAndHoldAsync(x, reply.Replace("{accept}", x.Accept, StringComparison.Ordinal), token));
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct);

        Assert.Equal(502, await balancer.HandshakeStatusAsync(Path(), ct));
        Assert.Equal(1, (await balancer.BackendAsync(Fake, ct)).TotalFailures);
        await (await fake.WaitForExchangeAsync(0, ct)).BalancerHungUp.WaitAsync(Timeouts.Default, ct);
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r")]
    public async Task Dial_BackendClosesMidReply_502AndBalancerKeepsServing(string partialReply)
    {
        await AssertBrokenBackendIsolatedAsync(
            async (x, token) =>
            {
                await x.WriteAsync(partialReply, token);
                x.Stream.Socket.Shutdown(SocketShutdown.Send);
                await x.HoldUntilHungUpAsync(token);
            },
            TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Dial_ReplyHeadOver64KiB_502AndBalancerKeepsServing()
    {
        // A valid 101 in every respect but its size: only the limit can make the balancer refuse it.
        await AssertBrokenBackendIsolatedAsync(
            async (x, token) =>
            {
                try
                {
                    await x.WriteAsync(Reply101(x, Filler(70 * 1024)), token);
                }
                catch (IOException)
                {
                    // The balancer may hang up before the whole reply is written.
                }

                await x.HoldUntilHungUpAsync(token);
            },
            TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Dial_ReplyHeadJustUnder64KiB_SessionWorks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = ScriptedBackend.Start(async (x, token) =>
        {
            await x.WriteAsync(Reply101(x, Filler(60 * 1024)), token);
            await EchoAsync(x, token);
        });
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct);

        var client = await balancer.ConnectAsync(Path(), ct);

        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Theory]
    [InlineData(403, 403, false)]
    [InlineData(404, 404, false)]
    [InlineData(401, 401, false)]
    [InlineData(302, 302, false)]
    [InlineData(503, 502, true)]
    [InlineData(500, 502, true)]
    public async Task Dial_BackendRefusesUpgrade_ClientGetsDeclineOr502AndOnlyFailuresCount(int backendStatus, int clientStatus, bool isFailure)
    {
        var ct = TestContext.Current.CancellationToken;
        var location = backendStatus is >= 300 and < 400 ? "Location: /elsewhere\r\n" : string.Empty;
        await using var fake = ScriptedBackend.Start((x, token) =>
            ReplyAndHoldAsync(x, $"HTTP/1.1 {backendStatus} Refused\r\n{location}Content-Length: 0\r\n\r\n", token));
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct, breakerThreshold: 1);

        var status = await balancer.HandshakeStatusAsync(Path(), ct);
        var row = await balancer.BackendAsync(Fake, ct);

        Assert.Equal(clientStatus, status);
        Assert.Equal((isFailure ? 1L : 0L, isFailure), (row.TotalFailures, row.Tripped));
        if (!isFailure)
        {
            // With a threshold of one, a decline counted as a failure would have opened the circuit: the next
            // client would get 502 from the balancer without the backend being asked.
            Assert.Equal(clientStatus, await balancer.HandshakeStatusAsync(Path(), ct));
            await fake.WaitForExchangeAsync(1, ct);
            Assert.Equal(0, (await balancer.BackendAsync(Fake, ct)).TotalFailures);
        }

        await (await fake.WaitForExchangeAsync(0, ct)).BalancerHungUp.WaitAsync(Timeouts.Default, ct);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(3000)]
    [InlineData(70_000)]
    public async Task Dial_FirstFramesInSameWriteAs101_ClientReceivesThemFirstAndSessionWorks(int firstLength)
    {
        var ct = TestContext.Current.CancellationToken;
        var first = firstLength == 5 ? "hello" : _faker.Random.String2(firstLength);
        await using var fake = ScriptedBackend.Start(async (x, token) =>
        {
            // One write: the balancer reads the frames together with the reply head (and, past 1 KiB, partly later).
            byte[] reply = [.. Encoding.ASCII.GetBytes(Reply101(x)), .. ServerTextFrame(first), .. ServerTextFrame("second")];
            await x.WriteAsync(reply, token);
            await EchoAsync(x, token);
        });
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct);

        var client = await balancer.ConnectAsync(Path(), ct);

        Assert.Equal(first, await client.ReceiveTextAsync(ct));
        Assert.Equal("second", await client.ReceiveTextAsync(ct));
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.Equal(WebSocketState.Open, client.State);
    }

    [Fact]
    public async Task Dial_Request_OneHostFieldNamingBackendAndClientHeadersForwarded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = RawWebSocketServer.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, "raw", server.Url, ct);
        var sent = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (sent.Count < 4)
        {
            sent[$"X-{_faker.Lorem.Word()}-{_faker.Random.AlphaNumeric(4)}"] = _faker.Lorem.Sentence(4);
        }

        var target = $"/{_faker.Random.AlphaNumeric(8)}?{_faker.Random.AlphaNumeric(4)}={_faker.Random.AlphaNumeric(6)}";
        var client = await balancer.ConnectAsync(target, ct, o =>
        {
            foreach (var (name, value) in sent)
            {
                o.SetRequestHeader(name, value);
            }
        });
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        var request = (await server.WaitForConnectionAsync(0, ct)).Request;
        Assert.Equal($"GET {target} HTTP/1.1", request.StartLine);
        Assert.Equal([server.Url.Authority], request.Values("Host"));
        Assert.Equal(["websocket"], request.Values("Upgrade"));
        Assert.Equal(["Upgrade"], request.Values("Connection"));
        Assert.Equal(["13"], request.Values("Sec-WebSocket-Version"));
        Assert.Equal(16, Convert.FromBase64String(Assert.Single(request.Values("Sec-WebSocket-Key"))).Length);
        Assert.Equal(["127.0.0.1"], request.Values("X-Forwarded-For"));
        foreach (var (name, value) in sent)
        {
            Assert.Equal([value], request.Values(name));
        }

        var names = request.Headers.Select(h => h.Key).ToList();
        Assert.Equal(names.Distinct(StringComparer.OrdinalIgnoreCase), names); // no field written twice
    }

    [Fact]
    public async Task Dial_ClientSubprotocolsOnSeveralLines_OfferedOnceInOneField()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = RawWebSocketServer.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, "raw", server.Url, ct);

        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, Path(), ct,
        [
            new("Sec-WebSocket-Protocol", "alpha"),
            new("Sec-WebSocket-Protocol", "beta, gamma"),
        ]);

        var request = (await server.WaitForConnectionAsync(0, ct)).Request;
        Assert.Equal(["alpha, beta, gamma"], request.Values("Sec-WebSocket-Protocol"));
    }

    [Theory]
    [InlineData("X-Control", "a\u0001b")]
    [InlineData("X-Delete", "a\u007fb")]
    [InlineData("X(Paren)", "value")]
    [InlineData("X@At", "value")]
    [InlineData("X/Slash", "value")]
    [InlineData("X{Brace}", "value")]
    public async Task Dial_ClientHeaderNotWritable_LeftOutAndSessionWorks(string name, string value)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = RawWebSocketServer.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, "raw", server.Url, ct);
        var trace = _faker.Random.AlphaNumeric(16);
        var text = _faker.Lorem.Sentence();

        using var client = await RawUpgradeAsync(balancer.FrontendUri, [("X-Trace", trace), (name, value)], ct);
        var echo = await EchoThroughAsync(client, text, ct);

        Assert.Equal(text, echo);
        var request = (await server.WaitForConnectionAsync(0, ct)).Request;
        Assert.Equal([trace], request.Values("X-Trace"));
        Assert.Empty(request.Values(name));
        Assert.DoesNotContain(request.Headers, h => h.Value.Contains(value, StringComparison.Ordinal));
    }

    /// <summary>
    /// A header value the frontend accepts as UTF-8 ("café" is 63 61 66 C3 A9 on the wire) must reach the backend as
    /// those octets, or not at all; either way the session must work. Re-encoded as Latin-1 (… E9) it is a different
    /// value, and one that a Kestrel backend refuses with 400.
    /// </summary>
    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("M\u00fcller")]
    [InlineData("price \u20ac")]
    public async Task Dial_ClientUtf8HeaderValue_ReachesKestrelBackendUnchangedOrNotAtAll(string value)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var text = _faker.Lorem.Sentence();

        using var client = await RawUpgradeAsync(balancer.FrontendUri, [("X-Name", value)], ct);
        var echo = await EchoThroughAsync(client, text, ct);

        Assert.Equal(text, echo);
        var headers = (await backend.SingleConnectionAsync(ct)).Headers;
        Assert.True(!headers.TryGetValue("X-Name", out var seen) || seen == value, $"the backend got X-Name '{seen}' instead of '{value}'");
    }

    /// <summary>The same, on the wire: the backend's request carries the client's octets for the value, or no such field.</summary>
    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("M\u00fcller")]
    [InlineData("price \u20ac")]
    public async Task Dial_ClientUtf8HeaderValue_BackendGetsClientOctetsOrNothing(string value)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = RawWebSocketServer.Start();
        await using var balancer = await TestBalancer.StartAsync([], ct);
        await AddBackendAsync(balancer, "raw", server.Url, ct);
        var text = _faker.Lorem.Sentence();

        using var client = await RawUpgradeAsync(balancer.FrontendUri, [("X-Name", value)], ct);
        var echo = await EchoThroughAsync(client, text, ct);

        Assert.Equal(text, echo);
        var sent = Encoding.UTF8.GetBytes(value);
        var received = (await server.WaitForConnectionAsync(0, ct)).Request.Values("X-Name").Select(v => Encoding.Latin1.GetBytes(v)).ToList();
        Assert.True(
            received.Count == 0 || (received.Count == 1 && received[0].SequenceEqual(sent)),
            $"client sent X-Name {Convert.ToHexString(sent)}, backend got {string.Join(" / ", received.Select(Convert.ToHexString))}");
    }

    /// <summary>
    /// A pass-through header in the backend's 101 whose value the frontend cannot write as is (the dialer reads
    /// octets as Latin-1; Kestrel writes only visible ASCII) must not turn the client's upgrade into something else:
    /// the client gets its 101 (with that header left out or intact) or a 502, never a plain 200.
    /// </summary>
    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("a\u0001b")]
    public async Task Dial_PassHeaderValueFrontendCannotWrite_ClientGets101Or502(string value)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = ScriptedBackend.Start(async (x, token) =>
        {
            await x.WriteAsync(Reply101(x, $"X-Info: {value}\r\nX-Plain: plain\r\n"), token);
            await EchoAsync(x, token);
        });
        await using var balancer = await TestBalancer.StartAsync([], ct);
        using (var content = new StringContent(
            $$"""{"url":"{{fake.Url}}","id":"{{Fake}}","handshake-timeout":"60s","pass-headers":["X-Info","X-Plain"]}""", Encoding.UTF8, "application/json"))
        using (var added = await balancer.Admin.PostAsync("/backend/add", content, ct))
        {
            Assert.True(added.IsSuccessStatusCode);
        }

        using var client = new TcpClient { NoDelay = true };
        using var timeout = Timeouts.Linked(ct);
        await client.ConnectAsync(balancer.FrontendUri.Host, balancer.FrontendUri.Port, timeout.Token);
        var stream = client.GetStream();
        var key = RawWebSocketProtocol.NewKey();
        await stream.WriteAsync(
            Encoding.ASCII.GetBytes($"GET /pass HTTP/1.1\r\nHost: {balancer.FrontendUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n"),
            timeout.Token);
        var response = await RawWebSocketProtocol.ReadHeadAsync(stream, timeout.Token);

        var status = response.StartLine.Split(' ')[1];
        Assert.True(status is "101" or "502", $"the client's upgrade was answered '{response.StartLine}'");
        if (status == "101")
        {
            Assert.Equal(RawWebSocketProtocol.AcceptFor(key), response.Value("Sec-WebSocket-Accept"));
            Assert.Equal("plain", response.Value("X-Plain"));
            Assert.Equal("ping", await EchoThroughAsync(client, "ping", ct));
        }
    }

    /// <summary>
    /// One backend's broken handshake fails only that dial: with the good backend disabled the client gets 502 and
    /// the broken one a failure; a session opened before is untouched, and once the good backend is back the next
    /// client is served.
    /// </summary>
    private async Task AssertBrokenBackendIsolatedAsync(Func<ScriptedExchange, CancellationToken, Task> script, CancellationToken ct)
    {
        await using var fake = ScriptedBackend.Start(script);
        await using var good = await TestBackend.StartAsync("good", ct);
        await using var balancer = await TestBalancer.StartAsync([good], ct);
        var before = await balancer.ConnectAsync(Path(), ct);
        await before.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await AddBackendAsync(balancer, Fake, fake.Url, ct);
        await balancer.PostAsync("/backend/disable/good", ct);

        var status = await balancer.HandshakeStatusAsync(Path(), ct);

        Assert.Equal(502, status);
        var exchange = await fake.WaitForExchangeAsync(0, ct);
        await exchange.BalancerHungUp.WaitAsync(Timeouts.Default, ct);
        var failed = await balancer.BackendAsync(Fake, ct);
        Assert.Equal((0L, 1L), (failed.TotalConnections, failed.TotalFailures));
        await before.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        await balancer.PostAsync("/backend/enable/good", ct);
        var after = await balancer.ConnectAsync(Path(), ct);
        await after.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await good.WaitForConnectionsAsync(2, ct);
        Assert.Equal(0, (await balancer.BackendAsync(Fake, ct)).TotalConnections);
    }

    private static async Task AddBackendAsync(TestBalancer balancer, string id, Uri url, CancellationToken cancellationToken, int? breakerThreshold = null)
    {
        var threshold = breakerThreshold is { } t ? $",\"breaker-threshold\":{t}" : string.Empty;
        using var content = new StringContent(
            $$"""{"url":"{{url}}","id":"{{id}}","handshake-timeout":"60s"{{threshold}}}""", Encoding.UTF8, "application/json");
        using var response = await balancer.Admin.PostAsync("/backend/add", content, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>A handshake offering <paramref name="subprotocols"/> that should be refused; returns the status.</summary>
    private async Task<int> RefusedStatusAsync(TestBalancer balancer, string[] subprotocols, CancellationToken cancellationToken, Action<ClientWebSocketOptions>? options = null)
    {
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        foreach (var protocol in subprotocols)
        {
            client.Options.AddSubProtocol(protocol);
        }

        options?.Invoke(client.Options);
        using var timeout = Timeouts.Linked(cancellationToken);
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(new Uri(balancer.FrontendUri, Path()), timeout.Token));
        return (int)client.HttpStatusCode;
    }

    /// <summary>
    /// A client handshake written by hand in UTF-8 (<see cref="RawWebSocketClient"/> writes ASCII only), for header
    /// lines that <see cref="ClientWebSocket"/> refuses to send. Throws unless the answer is 101.
    /// </summary>
    private static async Task<TcpClient> RawUpgradeAsync(Uri frontendUri, (string Name, string Value)[] headers, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(frontendUri.Host, frontendUri.Port, timeout.Token);
            var head = new StringBuilder()
                .Append("GET /raw HTTP/1.1\r\n")
                .Append($"Host: {frontendUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                .Append($"Sec-WebSocket-Key: {RawWebSocketProtocol.NewKey()}\r\n");
            foreach (var (name, value) in headers)
            {
                head.Append($"{name}: {value}\r\n");
            }

            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.UTF8.GetBytes(head.Append("\r\n").ToString()), timeout.Token);
            var response = await RawWebSocketProtocol.ReadHeadAsync(stream, timeout.Token);
            Assert.StartsWith("HTTP/1.1 101 ", response.StartLine, StringComparison.Ordinal);
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="text"/> as one masked text frame and returns the text of the next data frame.</summary>
    private static async Task<string> EchoThroughAsync(TcpClient client, string text, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var stream = client.GetStream();
        await RawWebSocketProtocol.WriteFrameAsync(stream, RawOpcode.Text, Encoding.UTF8.GetBytes(text), fin: true, mask: true, timeout.Token);
        while (true)
        {
            var frame = await RawWebSocketProtocol.ReadFrameAsync(stream, timeout.Token);
            if (!frame.IsControl)
            {
                return frame.Text;
            }
        }
    }

    private static async Task ReplyAndHoldAsync(ScriptedExchange exchange, string reply, CancellationToken cancellationToken)
    {
        await exchange.WriteAsync(reply, cancellationToken);
        await exchange.HoldUntilHungUpAsync(cancellationToken);
    }

    /// <summary>From here on the fake is an ordinary echoing WebSocket server.</summary>
    private static Task EchoAsync(ScriptedExchange exchange, CancellationToken cancellationToken) =>
        new RawServerConnection(exchange.Request, exchange.Stream, () => true).RunAsync(cancellationToken);

    private static string Reply101(ScriptedExchange exchange, string extraLines = "", string? accept = null) =>
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + $"Sec-WebSocket-Accept: {accept ?? exchange.Accept}\r\n{extraLines}\r\n";

    /// <summary>Valid header lines of at least <paramref name="bytes"/> bytes in total.</summary>
    private static string Filler(int bytes)
    {
        var lines = new StringBuilder();
        for (var i = 0; lines.Length < bytes; i++)
        {
            lines.Append($"X-Filler-{i}: {new string('f', 48)}\r\n");
        }

        return lines.ToString();
    }

    /// <summary>One unmasked, final server text frame.</summary>
    private static byte[] ServerTextFrame(string text)
    {
        using var frame = new MemoryStream();
        RawWebSocketProtocol.WriteFrameAsync(frame, RawOpcode.Text, Encoding.UTF8.GetBytes(text), fin: true, mask: false, CancellationToken.None).GetAwaiter().GetResult();
        return frame.ToArray();
    }

    private string Path() => $"/{_faker.Random.AlphaNumeric(8)}";
}

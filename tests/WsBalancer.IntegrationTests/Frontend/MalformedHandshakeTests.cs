using System.Security.Cryptography;
using Bogus;
using WsBalancer.IntegrationTests.Admin;

namespace WsBalancer.IntegrationTests.Frontend;

/// <summary>
/// Opening handshakes that no WebSocket client library sends, from a raw socket: each gets its exact status and a JSON
/// reason naming the header to fix (or, where Kestrel refuses the request before the balancer sees it, Kestrel's bare
/// 400), no backend is dialed, nothing is logged as an error, and an echo session through the balancer goes on
/// echoing throughout.
/// </summary>
public sealed class MalformedHandshakeTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private readonly Faker _faker = new();

    /// <summary>A request (with {host} for the frontend's authority), the status it must get, and part of its reason (null: Kestrel's own reply, no body).</summary>
    public static TheoryData<string, string, int, string?> Requests() => new()
    {
        { "no key", Request(key: null), 400, "Sec-WebSocket-Key is missing" },
        { "short key", Request(key: Convert.ToBase64String(RandomNumberGenerator.GetBytes(8))), 400, "Sec-WebSocket-Key: expected the base64 encoding of 16 random bytes" },
        { "long key", Request(key: Convert.ToBase64String(RandomNumberGenerator.GetBytes(17))), 400, "Sec-WebSocket-Key: expected" },
        { "key not base64", Request(key: "!!!!not*base64*at*all!!!"), 400, "Sec-WebSocket-Key: expected" },
        { "version 8", Request(version: "8"), 426, "Sec-WebSocket-Version '8' is not supported: send Sec-WebSocket-Version: 13" },
        { "version 14", Request(version: "14"), 426, "Sec-WebSocket-Version '14' is not supported" },
        { "no version", Request(version: null), 426, "Sec-WebSocket-Version is missing" },
        { "POST", Request(method: "POST"), 400, "a WebSocket upgrade is a GET request, not 'POST'" },
        { "PUT", Request(method: "PUT"), 400, "a WebSocket upgrade is a GET request, not 'PUT'" },
        { "HTTP/1.0", Request(protocol: "HTTP/1.0"), 400, "a WebSocket upgrade needs HTTP/1.1 or later, not HTTP/1.0" },
        { "no Upgrade", Request(upgrade: null), 400, "Upgrade header is missing" },
        { "no Connection", Request(connection: null), 400, "Connection header must include Upgrade" },
        { "Connection: keep-alive", Request(connection: "keep-alive"), 400, "Connection header must include Upgrade" },
        { "Upgrade: h2c", Request(upgrade: "h2c"), 400, "Upgrade 'h2c' is not supported: send Upgrade: websocket" },
        // Kestrel checks the request line and Host (RFC 9112 §3.2) before any application code: a bare 400.
        { "absurd Host", Request(host: "not a host/../\u00ff:99999"), 400, null },
        { "two Hosts", Request(host: "{host}\r\nHost: elsewhere.example"), 400, null },
        { "request line garbage", "G\u00e9T /\u0001 HTTP/9.9\r\n\r\n", 400, null },
        { "empty lines, then half a request line", "\r\n\r\nGET\r\n\r\n", 400, null },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Handshake_Malformed_ClearStatusNoDialNoErrorBystanderEchoes(string name, string request, int status, string? reasonPart)
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, services: log.AddTo);
        await using var bystander = BystanderEcho.Start(await balancer.ConnectAsync("/bystander", ct), ct);

        using var tcp = await RawHttp.ConnectAsync(balancer.FrontendUri, ct);
        await RawHttp.SendAsync(tcp, request.Replace("{host}", balancer.FrontendUri.Authority, StringComparison.Ordinal), ct);
        var reply = await RawHttp.ReadResponseAsync(tcp, ct);

        Assert.True(reply.Status == status, $"{name}: {reply.Head.StartLine} {reply.BodyText}");
        if (reasonPart is null)
        {
            Assert.Empty(reply.Body);
        }
        else
        {
            Assert.Equal("application/json; charset=utf-8", reply.Head.Value("Content-Type"));
            Assert.Contains(reasonPart, reply.Reason, StringComparison.Ordinal);
            Assert.Equal(status == 426 ? "13" : null, reply.Head.Value("Sec-WebSocket-Version"));
        }

        await bystander.StopAsync();
        Assert.Equal(["/bystander"], backend.Connections.Select(c => c.Target)); // the bad handshake was never dialed
        await balancer.WaitForSessionsAsync(1, ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await balancer.GetAsync("/health", ct)).Status);
        log.AssertNoFailures();
    }

    [Fact]
    public async Task Handshake_ValidAfterMalformedOnes_Upgraded()
    {
        // The refusals above leave the frontend as it was: the same listener takes a proper handshake right after.
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        foreach (var request in new[] { Request(key: null), Request(version: "8"), Request(method: "POST") })
        {
            using var tcp = await RawHttp.ConnectAsync(balancer.FrontendUri, ct);
            await RawHttp.SendAsync(tcp, request.Replace("{host}", balancer.FrontendUri.Authority, StringComparison.Ordinal), ct);
            Assert.NotEqual(101, (await RawHttp.ReadResponseAsync(tcp, ct)).Status);
        }

        await using var client = await RawWebSocketClient.ConnectAsync(balancer.FrontendUri, "/", ct);
        var text = _faker.Lorem.Sentence();
        await client.SendTextAsync(text, ct);

        Assert.Equal(text, (await client.ReceiveFrameAsync(ct)).Text);
    }

    /// <summary>A valid upgrade request with one part changed; null leaves that header line out.</summary>
    private static string Request(
        string method = "GET",
        string protocol = "HTTP/1.1",
        string? host = "{host}",
        string? upgrade = "websocket",
        string? connection = "Upgrade",
        string? key = Key,
        string? version = "13")
    {
        var lines = new List<string> { $"{method} /chat HTTP/1.1".Replace("HTTP/1.1", protocol, StringComparison.Ordinal) };
        Add("Host", host);
        Add("Upgrade", upgrade);
        Add("Connection", connection);
        Add("Sec-WebSocket-Key", key);
        Add("Sec-WebSocket-Version", version);
        return string.Join("\r\n", lines) + "\r\n\r\n";

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                lines.Add($"{name}: {value}");
            }
        }
    }
}

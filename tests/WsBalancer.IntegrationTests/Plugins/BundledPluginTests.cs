using System.Net.WebSockets;
using System.Text.Json;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Plugins;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary>The first-party RateLimit and SessionAudit plugins, loaded by the real host from its bundled plugins folder.</summary>
public sealed class BundledPluginTests : IDisposable
{
    private static readonly string Bundled = Path.Combine(AppContext.BaseDirectory, "plugins");

    private readonly Faker _faker = new();
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "wsbalancer-bundled-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task RateLimit_CloseOnExcess_BurstPassesThenClientClosedWith1008()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync([backend], ct, "RateLimit", new()
        {
            ["messages-per-second"] = "0.001", // no token comes back during the test
            ["burst"] = "3",
            ["on-excess"] = "close",
        });
        var client = await balancer.ConnectAsync("/ws", ct);

        for (var i = 0; i < 3; i++)
        {
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        }

        await client.SendTextAsync("one too many", ct);
        var close = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketMessageType.Close, close.Type);
        Assert.Equal((WebSocketCloseStatus)1008, close.CloseStatus);
        Assert.Equal("rate limit exceeded", close.CloseReason);
        Assert.Equal(3, (await backend.SingleConnectionAsync(ct)).Received.Count);
    }

    [Fact]
    public async Task RateLimit_AddressLimit_SharedBySessionsOfOneAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync([backend], ct, "RateLimit", new()
        {
            ["address-messages-per-second"] = "0.001",
            ["address-burst"] = "4",
        });
        var first = await balancer.ConnectAsync("/a", ct);
        var second = await balancer.ConnectAsync("/b", ct);

        for (var i = 0; i < 3; i++)
        {
            await first.AssertEchoAsync($"first-{i}", ct);
        }

        await second.AssertEchoAsync("second-0", ct);
        await second.SendTextAsync("second-1 (over the address limit: dropped)", ct);
        await first.SendTextAsync("first-3 (dropped too)", ct);
        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        await balancer.WaitForSessionsAsync(0, ct);

        Assert.Equal(["first-0", "first-1", "first-2", "second-0"], backend.Connections.SelectMany(c => c.Received).Select(m => m.Text).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SessionAudit_SessionWithAFailover_StartFailoverEndExportedAndFlushedOnStop()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var b1 = await TestBackend.StartAsync("b1", ct);
        await using var b2 = await TestBackend.StartAsync("b2", ct);
        var balancer = await StartAsync([b1, b2], ct, "SessionAudit", new() { ["export"] = "true" });
        string sessionId;
        try
        {
            var client = await balancer.ConnectAsync("/orders?token=secret", ct);
            await client.AssertEchoAsync("one", ct);
            sessionId = (await balancer.SingleSessionAsync(ct)).Id;
            Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync($"/session/failover/{sessionId}", ct)).GetRawText());
            await client.AssertEchoAsync("two", ct);
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
            await balancer.WaitForSessionsAsync(0, ct);
        }
        finally
        {
            await balancer.DisposeAsync(); // the plugin's version is retired: it writes what it holds before the host is gone
        }

        var export = Path.Combine(_dataDirectory, "plugin-data", "SessionAudit", "export");
        var records = Directory.GetFiles(export, "audit-*.jsonl")
            .SelectMany(File.ReadAllLines)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(r => r.GetProperty("sessionId").GetString() == sessionId)
            .ToList();
        Assert.Equal(["start", "failover", "end"], records.Select(r => r.GetProperty("kind").GetString()));
        Assert.All(records, r => Assert.Equal("/orders", r.GetProperty("uri").GetString()));
        var end = records[2];
        Assert.Equal("ClientClosed", end.GetProperty("endReason").GetString());
        Assert.Equal(2, end.GetProperty("messagesReceived").GetInt64());
        Assert.Equal(2, end.GetProperty("messagesSent").GetInt64());
        Assert.Equal(1, end.GetProperty("reconnects").GetInt32());
        Assert.Equal(records[0].GetProperty("backendId").GetString(), records[1].GetProperty("previousBackendId").GetString());
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "plugin-data", "SessionAudit", "audit.db")));
    }

    private Task<TestBalancer> StartAsync(IEnumerable<TestBackend> backends, CancellationToken cancellationToken, string plugin, Dictionary<string, string> settings) =>
        TestBalancer.StartAsync(
            backends,
            cancellationToken,
            server: s => s with { DataDirectory = _dataDirectory },
            plugins: p => p with
            {
                BundledDirectory = Bundled,
                Entries = new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase)
                {
                    [plugin] = new() { Enabled = true, Settings = settings },
                },
            });

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

using System.Net.WebSockets;
using Bogus;
using WsBalancer.Host.Plugins;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary>
/// The first-party HttpBridge plugin as the host's active dialer (upstream.dialer), loaded from the bundled plugins
/// folder built with the host: WebSocket sessions over REST backends, through a backend crash.
/// </summary>
public sealed class HttpBridgeHostingTests
{
    private static readonly string Bundled = Path.Combine(AppContext.BaseDirectory, "plugins");

    private readonly Faker _faker = new();

    [Fact]
    public async Task Dial_HttpBridgeAsDialer_MessagesArePostedAndAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rest = await RestEchoBackend.StartAsync("rest-a", ct);
        await using var balancer = await StartAsync([rest], ct);

        var client = await balancer.ConnectAsync("/orders?tenant=7", ct);
        var text = _faker.Commerce.ProductName();
        await client.SendTextAsync(text, ct);

        Assert.Equal($"[rest-a] {text}", await client.ReceiveTextAsync(ct));
        var session = Assert.Single((await balancer.GetJsonAsync("/session/list", ct)).EnumerateArray());
        Assert.Equal($"127.0.0.1-{rest.Url.Port}", session.GetProperty("backendId").GetString());
        var row = (await PluginList.FindAsync(balancer, "HttpBridge", ct))!.Value;
        Assert.Equal(1, row.GetProperty("sessions").GetInt32());
    }

    [Fact]
    public async Task Failover_RestBackendDiesMidSession_ClientStaysAndEveryMessageIsAnsweredInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var first = await RestEchoBackend.StartAsync("rest-a", ct);
        await using var second = await RestEchoBackend.StartAsync("rest-b", ct);
        await using var balancer = await StartAsync([first, second], ct);
        var client = await balancer.ConnectAsync("/ws", ct);
        var messages = Enumerable.Range(0, 20).Select(i => $"{i}:{_faker.Random.AlphaNumeric(8)}").ToList();

        var replies = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            if (i == 10)
            {
                await first.StopAsync(); // the 11th message finds the first backend gone
            }

            await client.SendTextAsync(messages[i], ct);
            replies.Add(await client.ReceiveTextAsync(ct));
        }

        Assert.Equal(WebSocketState.Open, client.State);
        var served = replies.Select(r => r[1..r.IndexOf(']')]).ToList();
        Assert.Equal(messages, replies.Select(r => r[(r.IndexOf(']') + 2)..]));
        Assert.Equal(Enumerable.Repeat("rest-a", 10), served.Take(10));
        Assert.Equal(Enumerable.Repeat("rest-b", 10), served.Skip(10));
        Assert.Equal(messages.Skip(10), second.Answered); // the failed message was replayed to the new backend, once
        Assert.Equal("1", second.ReconnectHeaders[0]); // its dial probe said the session was resumed
        Assert.Equal(1, (await balancer.SingleSessionAsync(ct)).Reconnects);
    }

    [Fact]
    public async Task Failover_AfterTheDialerPluginWasReloaded_NewVersionDialsAndTheSessionHoldsBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        using var plugins = new PluginSandbox();
        CopyDirectory(Path.Combine(Bundled, "HttpBridge"), Path.Combine(plugins.Directory, "HttpBridge"));
        await using var first = await RestEchoBackend.StartAsync("rest-a", ct);
        await using var second = await RestEchoBackend.StartAsync("rest-b", ct);
        await using var balancer = await StartAsync([first, second], ct, pluginsDirectory: plugins.Directory);
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.AssertReplyAsync("before", "[rest-a] before", ct);

        Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync("/plugin/reload/HttpBridge", ct)).GetRawText());
        await first.StopAsync();
        await client.AssertReplyAsync("after", "[rest-b] after", ct); // lost on the old connection, replayed through the new version's

        var row = (await PluginList.FindAsync(balancer, "HttpBridge", ct))!.Value;
        Assert.Equal(1, row.GetProperty("sessions").GetInt32()); // the current version, held for the failover's connection
        Assert.Equal(1, Assert.Single(row.GetProperty("versions").EnumerateArray()).GetProperty("sessions").GetInt32());
        var metrics = AdminMetricsText.Parse(await balancer.Admin.GetStringAsync("/metrics", ct));
        Assert.Equal([1.0, 1.0], metrics.Find("wsbalancer_plugin_pinned_sessions", ("plugin", "HttpBridge")).Select(s => s.Value));
        Assert.Equal(["after"], second.Answered);
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    private static Task<TestBalancer> StartAsync(IReadOnlyList<RestEchoBackend> rest, CancellationToken cancellationToken, string? pluginsDirectory = null) =>
        TestBalancer.StartAsync([], cancellationToken, plugins: p => p with
        {
            Directory = pluginsDirectory ?? p.Directory,
            BundledDirectory = pluginsDirectory is null ? Bundled : null,
            Dialer = "HttpBridge/HttpBridgeDialer",
            Entries = new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase)
            {
                ["HttpBridge"] = new() { Settings = new Dictionary<string, string> { ["url"] = string.Join(",", rest.Select(r => r.Url.ToString().TrimEnd('/'))), ["max-in-flight"] = "1" } },
            },
        });
}

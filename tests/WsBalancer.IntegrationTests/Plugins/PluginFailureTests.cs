using Bogus;
using WsBalancer.Host.Plugins;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary>Plugins that cannot load are reported with their reason and harm nothing: not the host, not other plugins, not their own previous version.</summary>
public sealed class PluginFailureTests : IDisposable
{
    private readonly Faker _faker = new();
    private readonly PluginSandbox _plugins = new();

    public static TheoryData<string, string> BrokenPlugins => new()
    {
        { "corrupt", "not a valid .NET assembly" },
        { "missing-dependency", "a dependency is missing" },
        { "constructor-throws", "the constructor of WsBalancer.TestPlugins.Faulty.FaultyPlugin threw InvalidOperationException" },
        { "sdk-too-new", "built against WsBalancer.Sdk 2.0.0, newer than this host's 1.1.0" },
        { "no-plugin-types", "does not reference WsBalancer.Sdk" },
        { "no-assembly", "no Empty.dll in the folder" },
    };

    [Theory]
    [MemberData(nameof(BrokenPlugins))]
    public async Task Load_BrokenPlugin_ReportedWithReasonAndIsolated(string kind, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        var name = Break(kind);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: p => _plugins.Settings(p) with
        {
            Entries = new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase)
            {
                ["Faulty"] = new() { Settings = new Dictionary<string, string> { ["fail"] = "constructor" } },
            },
        });

        var row = (await PluginList.FindAsync(balancer, name, ct))!.Value;
        Assert.Equal("failed", row.GetProperty("status").GetString());
        Assert.Contains(reason, row.GetProperty("error").GetString(), StringComparison.Ordinal);
        var client = await balancer.ConnectAsync("/ws", ct);
        var text = _faker.Lorem.Word();
        await client.SendTextAsync(text, ct);
        Assert.Equal("[1.0.0] " + text, await client.ReceiveTextAsync(ct)); // the healthy plugin is untouched
        var metrics = AdminMetricsText.Parse(await balancer.Admin.GetStringAsync("/metrics", ct));
        Assert.Equal(1, metrics.Find("wsbalancer_plugin_load_failures_total", ("plugin", name)).Single().Value);
    }

    [Fact]
    public async Task Replace_WithCorruptFiles_PreviousVersionStaysActiveWithTheError()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);

        await File.WriteAllBytesAsync(_plugins.PathOf("Shouter", "Shouter.dll"), _faker.Random.Bytes(4096), ct);
        var row = (await PluginList.WaitAsync(balancer, "Shouter", r => r?.GetProperty("error").GetString() is not null, ct))!.Value;

        Assert.Equal("active", row.GetProperty("status").GetString());
        Assert.Equal("1.0.0", row.GetProperty("version").GetString());
        Assert.Contains("not a valid .NET assembly", row.GetProperty("error").GetString(), StringComparison.Ordinal);
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.SendTextAsync("still", ct);
        Assert.Equal("[1.0.0] still", await client.ReceiveTextAsync(ct));

        _plugins.Install("Shouter.V2", "Shouter"); // fixed files: the next version loads, the error clears
        row = (await PluginList.WaitForStatusAsync(balancer, "Shouter", "active", ct, version: "2.0.0"))!.Value;
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("error").ValueKind);
    }

    /// <summary>
    /// Files caught half-written (a copy that paused past the quiet period): the replacement fails with its reason,
    /// the previous version serves on, and the watcher goes on watching, so the finished copy loads.
    /// </summary>
    [Theory]
    [InlineData("Shouter.deps.json", "")]
    [InlineData("Shouter.deps.json", "{\"runtimeTarget\": {\"name\": ")]
    [InlineData("Shouter.deps.json", "[1, 2, 3]")]
    [InlineData("plugin.json", "{\"version\": ")]
    public async Task Replace_WithHalfWrittenFile_ReportedPreviousVersionServesLaterCopyLoads(string file, string content)
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);

        await File.WriteAllTextAsync(_plugins.PathOf("Shouter", file), content, ct);
        var row = (await PluginList.WaitAsync(balancer, "Shouter", r => r?.GetProperty("error").GetString() is not null, ct))!.Value;
        Assert.Equal("active", row.GetProperty("status").GetString());
        Assert.Equal("1.0.0", row.GetProperty("version").GetString());
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.SendTextAsync("still", ct);
        Assert.Equal("[1.0.0] still", await client.ReceiveTextAsync(ct));

        if (file == "plugin.json")
        {
            File.Delete(_plugins.PathOf("Shouter", file)); // the test plugin has none: the finished copy has none either
        }

        _plugins.Install("Shouter.V2", "Shouter");
        row = (await PluginList.WaitForStatusAsync(balancer, "Shouter", "active", ct, version: "2.0.0"))!.Value;
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Valve_ThrowsOnOneMessage_ThatMessageDroppedSessionGoesOnAndFaultCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Faulty", "Faulty");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: p => _plugins.Settings(p) with
        {
            Entries = new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase)
            {
                ["faulty"] = new() { Settings = new Dictionary<string, string> { ["fail"] = "valve,listener" } },
            },
        });

        var client = await balancer.ConnectAsync("/ws", ct);
        await client.SendTextAsync("boom", ct);
        await client.AssertEchoAsync("after", ct); // the echo of "boom" never comes: the first reply is this one

        var metrics = AdminMetricsText.Parse(await balancer.Admin.GetStringAsync("/metrics", ct));
        Assert.Equal(1, metrics.Find("wsbalancer_plugin_valve_errors_total", ("plugin", "Faulty")).Single().Value);
        Assert.Equal(1, metrics.Find("wsbalancer_plugin_listener_errors_total", ("plugin", "Faulty")).Single().Value);
        Assert.Equal(["after"], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
    }

    [Fact]
    public async Task Provider_Throws_SessionRunsWithoutItsValves()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Faulty", "Faulty");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: p => _plugins.Settings(p) with
        {
            Entries = new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase)
            {
                ["Faulty"] = new() { Settings = new Dictionary<string, string> { ["fail"] = "provider" } },
            },
        });

        var client = await balancer.ConnectAsync("/ws", ct);
        await client.AssertEchoAsync("boom", ct); // no valve was added, so nothing throws on it

        var metrics = AdminMetricsText.Parse(await balancer.Admin.GetStringAsync("/metrics", ct));
        Assert.Equal(1, metrics.Find("wsbalancer_plugin_valve_errors_total", ("plugin", "Faulty")).Single().Value);
    }

    [Fact]
    public async Task Unload_PluginThatLeaksItsContext_IsReportedNotHidden()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Leaky", "Leaky");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: p => _plugins.Settings(p) with { UnloadReportAfter = TimeSpan.FromSeconds(1) });

        _plugins.Remove("Leaky");
        var row = (await PluginList.WaitAsync(balancer, "Leaky", r => r?.GetProperty("versions").EnumerateArray()
            .Any(v => v.GetProperty("error").GetString() is not null) == true, ct))!.Value;

        var version = row.GetProperty("versions").EnumerateArray().Single();
        Assert.Equal("unload-pending", row.GetProperty("status").GetString());
        Assert.Equal("unload-pending", version.GetProperty("status").GetString());
        Assert.Contains("something holds a reference to it", version.GetProperty("error").GetString(), StringComparison.Ordinal);
        var metrics = AdminMetricsText.Parse(await balancer.Admin.GetStringAsync("/metrics", ct));
        Assert.Equal(1, metrics.Find("wsbalancer_plugin_unload_stuck", ("plugin", "Leaky")).Single().Value);
    }

    /// <summary>Puts a plugin broken in the given way into the sandbox; returns its name.</summary>
    private string Break(string kind)
    {
        switch (kind)
        {
            case "corrupt":
                _plugins.Install("Shouter.V2", "Corrupt");
                File.Move(_plugins.PathOf("Corrupt", "Shouter.dll"), _plugins.PathOf("Corrupt", "Corrupt.dll"));
                File.WriteAllBytes(_plugins.PathOf("Corrupt", "Corrupt.dll"), [0x4D, 0x5A, .. _faker.Random.Bytes(2048)]);
                return "Corrupt";
            case "missing-dependency":
                _plugins.Install("NeedsDependency", "NeedsDependency");
                File.Delete(_plugins.PathOf("NeedsDependency", "Dependency.Lib.dll"));
                return "NeedsDependency";
            case "constructor-throws":
                _plugins.Install("Faulty", "Faulty");
                return "Faulty";
            case "sdk-too-new":
                _plugins.Install("TooNew", "TooNew");
                return "TooNew";
            case "no-plugin-types":
                // A plain library (the NeedsDependency plugin's own dependency) dropped in as if it were a plugin.
                _plugins.Install("NeedsDependency", "Dependency.Lib");
                return "Dependency.Lib";
            case "no-assembly":
                Directory.CreateDirectory(Path.Combine(_plugins.Directory, "Empty"));
                File.WriteAllText(_plugins.PathOf("Empty", "readme.txt"), "nothing here");
                return "Empty";
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    public void Dispose() => _plugins.Dispose();
}

using System.Diagnostics;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Plugins;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary>Plugins loaded from a real folder into the real host: discovery, hot add, replace with pinning, delete.</summary>
public sealed class PluginLoadingTests : IDisposable
{
    private readonly Faker _faker = new();
    private readonly PluginSandbox _plugins = new();

    [Fact]
    public async Task Start_PluginFolderPresent_ValveActsAndListIsComplete()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);

        var client = await balancer.ConnectAsync("/ws", ct);
        var text = _faker.Lorem.Sentence();
        await client.SendTextAsync(text, ct);

        Assert.Equal("[1.0.0] " + text, await client.ReceiveTextAsync(ct));
        var row = (await PluginList.FindAsync(balancer, "Shouter", ct))!.Value;
        Assert.Equal("active", row.GetProperty("status").GetString());
        Assert.Equal("1.0.0", row.GetProperty("version").GetString());
        Assert.Equal(Path.Combine(_plugins.Directory, "Shouter"), row.GetProperty("path").GetString());
        Assert.Equal(1, row.GetProperty("sessions").GetInt32());
        Assert.Equal(
            ["session-listener WsBalancer.TestPlugins.Shouter.ShouterValveProvider", "valve-provider WsBalancer.TestPlugins.Shouter.ShouterValveProvider"],
            row.GetProperty("types").EnumerateArray().Select(t => $"{t.GetProperty("kind").GetString()} {t.GetProperty("name").GetString()}").Order(StringComparer.Ordinal));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task HotAdd_FolderDroppedWhileRunning_NextSessionUsesItWithin2Seconds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        // The real quiet period and poll interval: the promise is about what users get.
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: p => p with { Directory = _plugins.Directory });
        var before = await balancer.ConnectAsync("/ws", ct);
        await before.AssertEchoAsync("plain", ct);

        var dropped = Stopwatch.StartNew();
        _plugins.Install("Shouter.V1", "Shouter");
        await PluginList.WaitForStatusAsync(balancer, "Shouter", "active", ct);
        var tookEffect = dropped.Elapsed;

        var after = await balancer.ConnectAsync("/ws", ct);
        await after.SendTextAsync("hello", ct);
        Assert.Equal("[1.0.0] hello", await after.ReceiveTextAsync(ct));
        await before.AssertEchoAsync("still plain", ct); // a live session keeps what it started with: no valve
        Assert.True(tookEffect < TimeSpan.FromSeconds(2), $"the plugin took {tookEffect.TotalMilliseconds:F0} ms to load");
    }

    [Fact]
    public async Task Replace_WhileSessionLive_LiveSessionKeepsV1NewSessionsGetV2AndV1Unloads()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);
        var live = await balancer.ConnectAsync("/ws", ct);
        await live.SendTextAsync("a", ct);
        Assert.Equal("[1.0.0] a", await live.ReceiveTextAsync(ct));
        var v1 = balancer.Plugins.Current.Versions.Single();

        _plugins.Install("Shouter.V2", "Shouter");
        var row = (await PluginList.WaitForStatusAsync(balancer, "Shouter", "active", ct, version: "2.0.0"))!.Value;

        var older = Assert.Single(row.GetProperty("versions").EnumerateArray());
        Assert.Equal("1.0.0", older.GetProperty("version").GetString());
        Assert.Equal("draining", older.GetProperty("status").GetString());
        Assert.Equal(1, older.GetProperty("sessions").GetInt32());
        var fresh = await balancer.ConnectAsync("/ws", ct);
        await fresh.SendTextAsync("b", ct);
        Assert.Equal("[2.0.0] b", await fresh.ReceiveTextAsync(ct));
        await live.SendTextAsync("c", ct);
        Assert.Equal("[1.0.0] c", await live.ReceiveTextAsync(ct));
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, live.State);

        await live.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", ct);
        await balancer.WaitForSessionsAsync(1, ct);
        await PluginList.WaitAsync(balancer, "Shouter", r => r!.Value.GetProperty("versions").GetArrayLength() == 0, ct);
        await Unload.WaitUntilCollectedAsync(v1.Context, ct);
    }

    [Fact]
    public async Task Delete_PluginFolder_NewSessionsGoWithoutLiveOneKeepsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);
        var live = await balancer.ConnectAsync("/ws", ct);
        await live.SendTextAsync("a", ct);
        Assert.Equal("[1.0.0] a", await live.ReceiveTextAsync(ct));

        _plugins.Remove("Shouter");
        await PluginList.WaitForStatusAsync(balancer, "Shouter", "draining", ct);
        var fresh = await balancer.ConnectAsync("/ws", ct);
        await fresh.AssertEchoAsync("untouched", ct);
        await live.SendTextAsync("b", ct);
        Assert.Equal("[1.0.0] b", await live.ReceiveTextAsync(ct));

        await live.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", ct);
        await PluginList.WaitAsync(balancer, "Shouter", r => r is null, ct);
    }

    [Fact]
    public async Task Order_PluginsOrder_FirstPluginsValveIsOutermost()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        _plugins.Install("NeedsDependency", "NeedsDependency");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var shouterFirst = await TestBalancer.StartAsync([backend], ct, plugins: p => _plugins.Settings(p) with { Order = ["Shouter"] });
        await using var byName = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);

        var first = await shouterFirst.ConnectAsync("/ws", ct);
        await first.SendTextAsync("x", ct);
        var second = await byName.ConnectAsync("/ws", ct);
        await second.SendTextAsync("x", ct);

        // Backend → client runs valves in reverse order, so the first plugin's valve sees the message last.
        Assert.Equal("[1.0.0] dep: x", await first.ReceiveTextAsync(ct));
        Assert.Equal("dep: [1.0.0] x", await second.ReceiveTextAsync(ct));
    }

    [Fact]
    public async Task Start_DialerNamesNoLoadedPlugin_StartFailsNamingTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);

        var error = await Assert.ThrowsAsync<ConfigurationErrorException>(() =>
            TestBalancer.StartAsync([backend], ct, plugins: p => _plugins.Settings(p) with { Dialer = "Shouter/NoSuchDialer" }));

        Assert.Contains("upstream.dialer", error.Message, StringComparison.Ordinal);
        Assert.Contains("Shouter/NoSuchDialer", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _plugins.Dispose();
}

/// <summary>Proves a load context went away: a bounded loop of full collections until its weak reference dies.</summary>
internal static class Unload
{
    public static async Task WaitUntilCollectedAsync(WeakReference context, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        for (var attempt = 0; context.IsAlive; attempt++)
        {
            Assert.True(attempt < 200, "the plugin's load context is still alive after 200 full collections");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(50, timeout.Token); // the catalog retires versions on the thread pool; give it a turn
        }
    }
}

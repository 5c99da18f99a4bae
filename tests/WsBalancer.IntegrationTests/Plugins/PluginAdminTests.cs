using System.Net;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary><c>POST /plugin/reload|disable|enable/{name}</c>: replies as the rest of the admin API, effects on new sessions only.</summary>
public sealed class PluginAdminTests : IDisposable
{
    private readonly PluginSandbox _plugins = new();

    [Fact]
    public async Task DisableEnable_Plugin_NewSessionsFollowLiveOnesKeepTheirs()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);
        var live = await balancer.ConnectAsync("/ws", ct);

        Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync("/plugin/disable/Shouter", ct)).GetRawText());
        Assert.Equal("""{"result":"success","reason":"NoActionRequired"}""", (await balancer.PostAsync("/plugin/disable/shouter", ct)).GetRawText());
        var row = (await PluginList.FindAsync(balancer, "Shouter", ct))!.Value;
        Assert.Equal("disabled", row.GetProperty("status").GetString());
        var whileDisabled = await balancer.ConnectAsync("/ws", ct);
        await whileDisabled.AssertEchoAsync("plain", ct);
        await live.SendTextAsync("kept", ct);
        Assert.Equal("[1.0.0] kept", await live.ReceiveTextAsync(ct));

        Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync("/plugin/enable/Shouter", ct)).GetRawText());
        Assert.Equal("""{"result":"success","reason":"NoActionRequired"}""", (await balancer.PostAsync("/plugin/enable/Shouter", ct)).GetRawText());
        var afterEnable = await balancer.ConnectAsync("/ws", ct);
        await afterEnable.SendTextAsync("back", ct);
        Assert.Equal("[1.0.0] back", await afterEnable.ReceiveTextAsync(ct));
    }

    [Fact]
    public async Task Reload_UnchangedFolder_LoadsANewVersionAndPinsTheOld()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);
        var live = await balancer.ConnectAsync("/ws", ct);
        await live.AssertReplyAsync("a", "[1.0.0] a", ct);

        Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync("/plugin/reload/Shouter", ct)).GetRawText());

        var row = (await PluginList.FindAsync(balancer, "Shouter", ct))!.Value;
        var older = Assert.Single(row.GetProperty("versions").EnumerateArray());
        Assert.Equal(1, older.GetProperty("sequence").GetInt32());
        Assert.Equal(1, older.GetProperty("sessions").GetInt32());
        Assert.Equal(0, row.GetProperty("sessions").GetInt32());
    }

    [Theory]
    [InlineData("reload")]
    [InlineData("disable")]
    [InlineData("enable")]
    public async Task Action_UnknownPlugin_404WithReason(string action)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);

        using var response = await balancer.Admin.PostAsync($"/plugin/{action}/Nope", null, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"result":"failed","reason":"unknown plugin 'Nope'"}""", await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Action_WithGet_405AsTheRestOfTheApi()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);

        using var response = await balancer.Admin.GetAsync("/plugin/reload/Shouter", ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Reload_DisabledPlugin_FailsWithReason()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);
        await balancer.PostAsync("/plugin/disable/Shouter", ct);

        using var response = await balancer.Admin.PostAsync("/plugin/reload/Shouter", null, ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("""{"result":"failed","reason":"plugin 'Shouter' is disabled"}""", await response.Content.ReadAsStringAsync(ct));
    }

    public void Dispose() => _plugins.Dispose();
}

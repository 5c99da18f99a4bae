using System.Text;

namespace WsBalancer.IntegrationTests.Scripting;

/// <summary>Saving, breaking, deleting and adding script files while sessions are live.</summary>
public sealed class ScriptReloadTests : IDisposable
{
    private readonly ScriptFolder _scripts = new();

    [Fact]
    public async Task Edit_WhileSessionLive_NextMessageUsesItAndPlainStateIsCarriedOver()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-tag.js", "function beforeTransmit(m, s) { s.state.n = (s.state.n || 0) + 1; return 'v1#' + s.state.n + ':' + m.text; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.AssertReplyAsync("a", "v1#1:a", ct);
        await client.AssertReplyAsync("b", "v1#2:b", ct);

        _scripts.Write("10-tag.js", "function beforeTransmit(m, s) { s.state.n = (s.state.n || 0) + 1; return 'v2#' + s.state.n + ':' + m.text; }\n");
        await ScriptFolder.WaitForVersionAsync(balancer, "10-tag.js", 2, ct);

        await client.AssertReplyAsync("c", "v2#3:c", ct);
    }

    [Fact]
    public async Task Edit_StateHoldsAFunction_NewVersionStartsFresh()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-fn.js", "function beforeTransmit(m, s) { s.state.n = (s.state.n || 0) + 1; s.state.f = () => 1; return 'v1#' + s.state.n; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.AssertReplyAsync("a", "v1#1", ct);

        _scripts.Write("10-fn.js", "function beforeTransmit(m, s) { s.state.n = (s.state.n || 0) + 1; return 'v2#' + s.state.n; }\n");
        await ScriptFolder.WaitForVersionAsync(balancer, "10-fn.js", 2, ct);

        await client.AssertReplyAsync("b", "v2#1", ct);
    }

    [Fact]
    public async Task Edit_SyntaxError_PreviousVersionStaysAndErrorNamesLineAndColumn()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-good.js", "function beforeTransmit(m) { return 'good:' + m.text; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        _scripts.Write("10-good.js", "function beforeTransmit(m) {\n  return 'bad:' + ;\n}\n");
        var row = await ScriptFolder.WaitAsync(balancer, "10-good.js", r => r.GetProperty("error").GetString() is not null, ct);

        Assert.StartsWith("10-good.js:2:", row.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("active", row.GetProperty("status").GetString());
        Assert.Equal(1, row.GetProperty("version").GetInt32());
        await client.AssertReplyAsync("x", "good:x", ct);
    }

    [Fact]
    public async Task DeleteAndAdd_WhileSessionLive_ValveGoesAndComesOnTheNextMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-a.js", "function beforeTransmit(m) { return 'a:' + m.text; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        await client.AssertReplyAsync("1", "a:1", ct);

        _scripts.Delete("10-a.js");
        await WaitUntilAbsentAsync(balancer, "10-a.js", ct);
        await client.AssertEchoAsync("2", ct);

        _scripts.Write("20-b.js", "function beforeTransmit(m) { return 'b:' + m.text; }\n");
        await ScriptFolder.WaitForVersionAsync(balancer, "20-b.js", 1, ct);
        await client.AssertReplyAsync("3", "b:3", ct);
    }

    [Fact]
    public async Task PartialWrite_FileWrittenInTwoHalves_SessionNeverSeesAHalfScript()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-w.js", "function beforeTransmit(m) { return 'old:' + m.text; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: s => _scripts.Settings(s) with { QuietPeriod = TimeSpan.FromMilliseconds(400) });
        var client = await balancer.ConnectAsync("/ws", ct);
        var next = Encoding.UTF8.GetBytes("function beforeTransmit(m) { return 'new:' + m.text; }\n");

        await using (var file = new FileStream(Path.Combine(_scripts.Directory, "10-w.js"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            await file.WriteAsync(next.AsMemory(0, next.Length / 2), ct);
            await file.FlushAsync(ct);
            await client.AssertReplyAsync("during", "old:during", ct); // half a file on disk: the old version serves
            await file.WriteAsync(next.AsMemory(next.Length / 2), ct);
        }

        await ScriptFolder.WaitForVersionAsync(balancer, "10-w.js", 2, ct);
        await client.AssertReplyAsync("after", "new:after", ct);
        var row = (await ScriptFolder.FindAsync(balancer, "10-w.js", ct))!.Value;
        Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Admin_SourceDisableEnable_AsTheRestOfTheApi()
    {
        var ct = TestContext.Current.CancellationToken;
        const string source = "function beforeTransmit(m) { return 'on:' + m.text; }\n";
        _scripts.Write("10-s.js", source);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        Assert.Equal(source, await balancer.Admin.GetStringAsync("/script/source/10-s.js", ct));
        Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync("/script/disable/10-s.js", ct)).GetRawText());
        Assert.Equal("""{"result":"success","reason":"NoActionRequired"}""", (await balancer.PostAsync("/script/disable/10-s.js", ct)).GetRawText());
        await client.AssertEchoAsync("off", ct);
        Assert.Equal("disabled", (await ScriptFolder.FindAsync(balancer, "10-s.js", ct))!.Value.GetProperty("status").GetString());
        Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync("/script/enable/10-s.js", ct)).GetRawText());
        await client.AssertReplyAsync("x", "on:x", ct);

        using var unknown = await balancer.Admin.GetAsync("/script/source/nope.js", ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        using var unknownAction = await balancer.Admin.PostAsync("/script/enable/nope.js", null, ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknownAction.StatusCode);
        var metrics = AdminMetricsText.Parse(await balancer.Admin.GetStringAsync("/metrics", ct));
        Assert.Equal(1, metrics.Find("wsbalancer_script_calls_total", ("script", "10-s.js")).Single().Value); // not while disabled
    }

    private static async Task WaitUntilAbsentAsync(TestBalancer balancer, string name, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (await ScriptFolder.FindAsync(balancer, name, timeout.Token) is not null)
        {
            await Task.Delay(20, timeout.Token); // polled, bounded by the timeout
        }
    }

    public void Dispose() => _scripts.Dispose();
}

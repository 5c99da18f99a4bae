using System.Diagnostics;
using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Scripting;

/// <summary>Hostile scripts in the real host: each ends in its on-error outcome within its limit, and other sessions go on.</summary>
public sealed class ScriptSandboxTests : IDisposable
{
    private readonly ScriptFolder _scripts = new();

    public static TheoryData<string, string> Hostile => new()
    {
        { "runaway loop", "while (true) {}" },
        { "recursion bomb", "function f() { return f() + 1; } f();" },
        { "array buffer", "new ArrayBuffer(2e9);" },
        { "typed array", "new Uint8Array(1e9);" },
        { "float array", "new Float64Array(3e8);" },
        { "repeat", "'x'.repeat(1e8);" },
        { "pad", "'x'.padStart(1e8, 'y');" },
        { "doubling", "let s = 'xx'; for (;;) s += s;" },
        { "array", "new Array(1e9).fill(0);" },
        { "catastrophic regex", "/(a+)+$/.test('a'.repeat(28) + '!');" },
        { "eval", "eval('1 + 1');" },
        { "function constructor", "(function () {}).constructor('return 1')();" },
        { "clr reach", "System.IO.File.ReadAllText('/etc/passwd');" },
        { "catch then loop", "try { new ArrayBuffer(2e9); } catch (e) { while (true) {} }" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_Script_MessageDroppedWithinItsLimitOtherSessionsGoOn(string kind, string attack)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-hostile.js", $"// @match /victim\nfunction beforeTransmit(m) {{ if (m.text === 'attack') {{ {attack} }} }}\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var bystander = await balancer.ConnectAsync("/bystander", ct);
        var victim = await balancer.ConnectAsync("/victim", ct);

        var started = Stopwatch.StartNew();
        await victim.SendTextAsync("attack", ct);
        var echoing = bystander.AssertEchoAsync("still here", ct);
        await victim.AssertEchoAsync("next", ct); // the attack was dropped (on-error drop); the session goes on
        await echoing;

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"{kind}: took {started.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(WebSocketState.Open, victim.State);
        var row = (await ScriptFolder.FindAsync(balancer, "10-hostile.js", ct))!.Value;
        Assert.Equal(1, row.GetProperty("errors").GetInt64());
        Assert.DoesNotContain(backend.Connections.SelectMany(c => c.Received), m => m.Text == "attack");
    }

    [Fact]
    public async Task Quarantine_ScriptKeepsBreakingLimits_SwitchedOffUntilEnabled()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-slow.js", "// @on-error pass\n// @timeout 5ms\nfunction beforeTransmit(m) { if (m.text === 'spin') { while (true) {} } return m.text + '+'; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: s => _scripts.Settings(s) with { QuarantineAfter = 2 });
        var client = await balancer.ConnectAsync("/ws", ct);

        for (var i = 0; i < 3; i++)
        {
            await client.AssertEchoAsync("spin", ct); // on-error pass: the message goes through unchanged
        }

        var row = (await ScriptFolder.FindAsync(balancer, "10-slow.js", ct))!.Value;
        Assert.Equal("quarantined", row.GetProperty("status").GetString());
        Assert.Contains("limit breaks within a minute", row.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, row.GetProperty("limitBreaks").GetInt64());
        await client.AssertEchoAsync("ok", ct); // quarantined: not run, its on-error (pass) applies

        Assert.Equal("""{"result":"success"}""", (await balancer.PostAsync("/script/enable/10-slow.js", ct)).GetRawText());
        await client.AssertReplyAsync("ok", "ok+", ct);
        Assert.Equal("active", (await ScriptFolder.FindAsync(balancer, "10-slow.js", ct))!.Value.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Budget_SessionSpendsItsScriptTime_ItsOnErrorAppliesForItOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-busy.js", "// @on-error close\nfunction beforeTransmit(m) { const end = Date.now() + 15; while (Date.now() < end) {} return m.text + '+'; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: s => _scripts.Settings(s) with
        {
            SessionBudget = TimeSpan.FromMilliseconds(40),
            SessionBudgetWindow = TimeSpan.FromMinutes(5),
        });
        var greedy = await balancer.ConnectAsync("/ws", ct);

        // Calls of at least 15 ms each: within a few the 40 ms budget is spent (how many depends on the machine's load,
        // since the budget is wall time), and the next message gets the script's on-error: close.
        var replies = 0;
        ClientMessage reply;
        for (reply = await SendAsync(greedy, 0, ct); reply.Type == WebSocketMessageType.Text; reply = await SendAsync(greedy, replies, ct))
        {
            Assert.Equal($"m{replies}+", reply.Text);
            Assert.True(++replies < 20, "the session's budget never ran out");
        }

        var fresh = await balancer.ConnectAsync("/ws", ct);
        await fresh.AssertReplyAsync("mine", "mine+", ct); // another session has its own budget

        Assert.InRange(replies, 1, 3); // the first call always has budget; 3 calls of 15 ms are past 40 ms
        Assert.Equal(WebSocketCloseStatus.InternalServerError, reply.CloseStatus);
        Assert.Equal(replies, backend.Connections.SelectMany(c => c.Received).Count(m => m.Text.Length > 1 && m.Text[0] == 'm' && char.IsAsciiDigit(m.Text[1])));
    }

    private static async Task<ClientMessage> SendAsync(ClientWebSocket client, int n, CancellationToken ct)
    {
        await client.SendTextAsync($"m{n}", ct);
        return await client.ReceiveMessageAsync(ct);
    }

    public void Dispose() => _scripts.Dispose();
}

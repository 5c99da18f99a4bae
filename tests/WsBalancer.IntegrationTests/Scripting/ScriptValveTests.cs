using System.Net.WebSockets;
using System.Text.Json;
using Bogus;

namespace WsBalancer.IntegrationTests.Scripting;

/// <summary>Script valves in the real host: what a hook returns, what it asks of its session, and which sessions it sees.</summary>
public sealed class ScriptValveTests : IDisposable
{
    private readonly Faker _faker = new();
    private readonly ScriptFolder _scripts = new();

    public static TheoryData<string, string[]> ReturnForms => new()
    {
        { "message.text = message.text + '!'; return message;", ["{0}!"] },
        { "return 'x:' + message.text;", ["x:{0}"] },
        { "return undefined;", ["{0}"] },
        { "return message;", ["{0}"] },
        { "return [message.text, message.text.length.toString()];", ["{0}", "{1}"] },
        { "return [];", [] },
        { "return null;", [] },
        { "return { type: 'text', text: message.type + ':' + message.size };", ["text:{1}"] },
    };

    [Theory]
    [MemberData(nameof(ReturnForms))]
    public async Task BeforeTransmit_ReturnForm_BackendGetsWhatItSays(string body, string[] expected)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-form.js", $"function beforeTransmit(message, session) {{ if (message.text === '__marker__') return; {body} }}\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        var text = _faker.Lorem.Word();

        await client.SendTextAsync(text, ct);
        await client.SendTextAsync("__marker__", ct); // the script passes it: everything echoed before it is the form's output
        var echoed = new List<string>();
        for (var reply = await client.ReceiveTextAsync(ct); reply != "__marker__"; reply = await client.ReceiveTextAsync(ct))
        {
            echoed.Add(reply);
        }

        var expectedTexts = expected.Select(e => string.Format(System.Globalization.CultureInfo.InvariantCulture, e, text, text.Length)).ToList();
        Assert.Equal(expectedTexts, echoed);
        Assert.Equal([.. expectedTexts, "__marker__"], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
    }

    [Fact]
    public async Task BeforeTransmit_BinaryMessage_ScriptSeesAndReturnsBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-bytes.js", """
            function beforeTransmit(message) {
              if (message.type !== 'binary') return undefined;
              const out = new Uint8Array(message.data.length);
              for (let i = 0; i < out.length; i++) out[i] = message.data[i] ^ 0xff;
              return out;
            }
            """);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        var data = _faker.Random.Bytes(300);

        await client.SendBinaryAsync(data, ct);
        var echoed = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketMessageType.Binary, echoed.Type);
        Assert.Equal(data.Select(b => (byte)(b ^ 0xff)), echoed.Data);
    }

    [Fact]
    public async Task Reply_Heartbeat_AnsweredByTheBalancerBackendNeverSeesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-heartbeat.js", """
            function beforeTransmit(message, session) {
              if (message.text === 'ping') { session.reply('pong'); return null; }
            }
            """);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        await client.AssertReplyAsync("ping", "pong", ct);
        await client.AssertEchoAsync("real", ct);

        Assert.Equal(["real"], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
        var row = await ScriptFolder.FindAsync(balancer, "10-heartbeat.js", ct);
        Assert.Equal(1, row!.Value.GetProperty("replies").GetInt64());
        Assert.Equal(1, row.Value.GetProperty("drops").GetInt64());
        Assert.Equal(2, row.Value.GetProperty("calls").GetInt64());
    }

    [Fact]
    public async Task SendAndClose_FromAHook_ReachBackendThenEndTheSession()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-control.js", """
            function beforeTransmit(message, session) {
              if (message.text === 'bye') { session.close(4001, 'asked to leave'); return null; }
              session.send('audit:' + message.text);
            }
            """);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        await client.SendTextAsync("one", ct);
        Assert.Equal("audit:one", await client.ReceiveTextAsync(ct)); // sent during the call, before the message itself
        Assert.Equal("one", await client.ReceiveTextAsync(ct));
        await client.SendTextAsync("bye", ct);
        var close = await client.ReceiveMessageAsync(ct);

        Assert.Equal((WebSocketCloseStatus)4001, close.CloseStatus);
        Assert.Equal("asked to leave", close.CloseReason);
        Assert.Equal(["audit:one", "one"], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
    }

    [Fact]
    public async Task AfterReceive_TwoScripts_RunInReverseFileOrderOnTheWayBack()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-a.js", "function afterReceive(m) { return 'a:' + m.text; }\n");
        _scripts.Write("20-b.js", "function afterReceive(m) { return 'b:' + m.text; }\nfunction beforeTransmit(m) { return 'b>' + m.text; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        await client.AssertReplyAsync("x", "a:b:b>x", ct);
    }

    [Fact]
    public async Task Match_Glob_OnlyMatchingSessionsRunTheScript()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-ocpp.js", "// @match /ocpp/*\n// @match /legacy/**\nfunction beforeTransmit(m) { return 'ocpp:' + m.text; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);

        await (await balancer.ConnectAsync("/ocpp/CP001", ct)).AssertReplyAsync("a", "ocpp:a", ct);
        await (await balancer.ConnectAsync("/legacy/v1/CP002", ct)).AssertReplyAsync("b", "ocpp:b", ct);
        await (await balancer.ConnectAsync("/ocpp/CP001/extra", ct)).AssertEchoAsync("c", ct);
        await (await balancer.ConnectAsync("/chat", ct)).AssertEchoAsync("d", ct);
        var row = await ScriptFolder.FindAsync(balancer, "10-ocpp.js", ct);
        Assert.Equal(["/ocpp/*", "/legacy/**"], row!.Value.GetProperty("match").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task Shadow_ScriptThatDropsAndReplies_HasNoEffectButCounts()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-shadow.js", "// @mode shadow\nfunction beforeTransmit(m, s) { if (m.text === 'r') { s.reply('no'); return null; } return m.text + '?'; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        await client.AssertEchoAsync("r", ct);
        await client.AssertEchoAsync("m", ct);

        var row = (await ScriptFolder.FindAsync(balancer, "10-shadow.js", ct))!.Value;
        Assert.Equal("shadow", row.GetProperty("mode").GetString());
        Assert.Equal(1, row.GetProperty("drops").GetInt64());
        Assert.Equal(1, row.GetProperty("modifies").GetInt64());
        Assert.Equal(1, row.GetProperty("replies").GetInt64());
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("pass")]
    [InlineData("close")]
    public async Task OnError_ScriptThrows_ItsModeDecides(string mode)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-throws.js", $"// @on-error {mode}\nfunction beforeTransmit(m) {{ if (m.text === 'bad') throw new Error('cannot'); }}\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        await client.SendTextAsync("bad", ct);
        if (mode == "close")
        {
            var close = await client.ReceiveMessageAsync(ct);
            Assert.Equal(WebSocketCloseStatus.InternalServerError, close.CloseStatus);
            Assert.Equal("script error", close.CloseReason);
        }
        else
        {
            if (mode == "pass")
            {
                Assert.Equal("bad", await client.ReceiveTextAsync(ct));
            }

            await client.AssertEchoAsync("good", ct);
            Assert.Equal(mode == "pass" ? ["bad", "good"] : ["good"], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
        }

        var row = (await ScriptFolder.FindAsync(balancer, "10-throws.js", ct))!.Value;
        Assert.Equal(1, row.GetProperty("errors").GetInt64());
        Assert.Equal(0, row.GetProperty("limitBreaks").GetInt64());
        Assert.Contains("10-throws.js:2", row.GetProperty("lastFault").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_Fields_AreWhatTheBalancerKnows()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-info.js", """
            function beforeTransmit(m, s) {
              s.reply(JSON.stringify({ id: s.id, uri: s.uri, path: s.path, query: s.query, backendId: s.backendId,
                frontendId: s.frontendId, reconnects: s.reconnects, tenant: s.headers['x-tenant'], hasAddress: !!s.remoteAddress }));
              return null;
            }
            """);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ocpp/CP7?v=2", ct, o => o.SetRequestHeader("X-Tenant", "acme"));

        await client.SendTextAsync("who", ct);
        var info = JsonDocument.Parse(await client.ReceiveTextAsync(ct)).RootElement;

        Assert.Equal((await balancer.SingleSessionAsync(ct)).Id, info.GetProperty("id").GetString());
        Assert.Equal("/ocpp/CP7?v=2", info.GetProperty("uri").GetString());
        Assert.Equal("/ocpp/CP7", info.GetProperty("path").GetString());
        Assert.Equal("v=2", info.GetProperty("query").GetString());
        Assert.Equal("b1", info.GetProperty("backendId").GetString());
        Assert.Equal(0, info.GetProperty("reconnects").GetInt32());
        Assert.Equal("acme", info.GetProperty("tenant").GetString());
        Assert.True(info.GetProperty("hasAddress").GetBoolean());
    }

    [Fact]
    public async Task State_ManySessionsOneScript_EachSeesOnlyItsOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-count.js", "function beforeTransmit(m, s) { s.state.n = (s.state.n || 0) + 1; return m.text + '#' + s.state.n; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);

        var sessions = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var client = await balancer.ConnectAsync($"/s{i}", ct);
            var replies = new List<string>();
            for (var n = 1; n <= 10; n++)
            {
                await client.SendTextAsync($"s{i}", ct);
                replies.Add(await client.ReceiveTextAsync(ct));
            }

            return (i, replies);
        }));

        Assert.All(sessions, s => Assert.Equal(Enumerable.Range(1, 10).Select(n => $"s{s.i}#{n}"), s.replies));
    }

    [Fact]
    public async Task IdleEngines_LetGoByTheSweep_NextMessagesCarryOnWithTheirState()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-count.js", "function beforeTransmit(m, s) { s.state.n = (s.state.n || 0) + 1; return m.text + '#' + s.state.n; }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: d => _scripts.Settings(d) with { EngineIdleTimeout = TimeSpan.FromMilliseconds(200) });
        var clients = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => balancer.ConnectAsync($"/s{i}", ct)));
        for (var i = 0; i < clients.Length; i++)
        {
            await clients[i].SendTextAsync($"s{i}", ct);
            Assert.Equal($"s{i}#1", await clients[i].ReceiveTextAsync(ct));
            await clients[i].SendTextAsync($"s{i}", ct);
            Assert.Equal($"s{i}#2", await clients[i].ReceiveTextAsync(ct));
        }

        using (var timeout = Timeouts.Linked(ct))
        {
            while (balancer.Scripts.SessionsWithEngines.Any())
            {
                await Task.Delay(20, timeout.Token); // the sweep has no event: polled, bounded by the timeout
            }
        }

        for (var i = 0; i < clients.Length; i++)
        {
            await clients[i].SendTextAsync($"s{i}", ct);
            Assert.Equal($"s{i}#3", await clients[i].ReceiveTextAsync(ct));
        }

        Assert.Equal(clients.Length, balancer.Scripts.SessionsWithEngines.Count());
    }

    [Theory]
    [InlineData("drop", false)]
    [InlineData("pass", true)]
    public async Task MessageOverTheScriptLimit_OnErrorApplies_NotAQuarantineBreak(string onError, bool passes)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-upper.js", $"// @max-message-size 1KiB\n// @on-error {onError}\nfunction beforeTransmit(m, s) {{ return m.text.toUpperCase(); }}\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        var big = new string('x', 2048);

        for (var i = 0; i < 12; i++) // more than quarantine-after (10) within a minute
        {
            await client.SendTextAsync(big, ct);
        }

        await client.SendTextAsync("small", ct);

        var received = new List<string>();
        while (received.LastOrDefault() != "SMALL")
        {
            received.Add(await client.ReceiveTextAsync(ct));
        }

        Assert.Equal(passes ? [.. Enumerable.Repeat(big, 12), "SMALL"] : ["SMALL"], received);
        var script = (await ScriptFolder.FindAsync(balancer, "10-upper.js", ct))!.Value;
        Assert.Equal("active", script.GetProperty("status").GetString());
        Assert.Equal(12, script.GetProperty("errors").GetInt64());
        Assert.Equal(0, script.GetProperty("limitBreaks").GetInt64());
        Assert.Contains("exceeds the script message limit of 1024", script.GetProperty("lastFault").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnOpen_Greets_ClientGetsItFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-greet.js", "function onOpen(s) { s.reply('welcome ' + s.path); }\nfunction onClose(s, code, reason) { console.log('closed', code, reason); }\n");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/lobby", ct);

        Assert.Equal("welcome /lobby", await client.ReceiveTextAsync(ct));
        await client.AssertEchoAsync("then", ct);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        await balancer.WaitForSessionsAsync(0, ct);
    }

    [Fact]
    public async Task OnFailover_BackendKilled_CapturedLoginReplayedFirstThenQueuedMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Write("10-login.js", """
            function beforeTransmit(m, s) { if (m.text.startsWith('login:')) s.state.login = m.text; }
            function onFailover(s) { return s.state.login ? [s.state.login, 'resumed:' + s.reconnects] : undefined; }
            """);
        await using var first = await TestBackend.StartAsync("b1", ct);
        await using var second = await TestBackend.StartAsync("b2", ct);
        await using var balancer = await TestBalancer.StartAsync([first, second], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        var backendOfSession = (await balancer.SingleSessionAsync(ct)).BackendId;
        var (dying, surviving) = backendOfSession == "b1" ? (first, second) : (second, first);
        await client.AssertEchoAsync("login:alice", ct);

        dying.AbortAll();
        await balancer.WaitForReconnectsAsync(1, ct);
        await client.SendTextAsync("after", ct);

        // The echoes of the replayed login and the marker come back first, then the client's own message.
        Assert.Equal("login:alice", await client.ReceiveTextAsync(ct));
        Assert.Equal("resumed:1", await client.ReceiveTextAsync(ct));
        Assert.Equal("after", await client.ReceiveTextAsync(ct));
        Assert.Equal(["login:alice", "resumed:1", "after"], (await surviving.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
    }

    public void Dispose() => _scripts.Dispose();
}

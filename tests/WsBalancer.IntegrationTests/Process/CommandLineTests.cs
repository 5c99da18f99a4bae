using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace WsBalancer.IntegrationTests.Process;

/// <summary>The README's front door: the real executable, its demo mode, its help and its exit codes.</summary>
public sealed class CommandLineTests
{
    private static readonly string[] LoopbackPorts = ["--server:frontend:address=127.0.0.1:0", "--server:admin:address=127.0.0.1:0"];

    [Fact]
    public async Task Demo_ServesEchoThroughBothInProcessBackends()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = HostProcess.Start(["--demo", .. LoopbackPorts]);
        var (frontend, admin) = await host.WaitForListeningAsync(ct);

        var replies = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var client = new ClientWebSocket();
            using var timeout = Timeouts.Linked(ct);
            await client.ConnectAsync(new Uri(frontend, "/chat"), timeout.Token);
            await client.SendTextAsync("hello", ct);
            replies.Add(await client.ReceiveTextAsync(ct));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct);
        }

        Assert.Equal(["[echo-1] hello", "[echo-2] hello"], replies.Order());
        using var http = new HttpClient { BaseAddress = admin };
        var backends = await http.GetFromJsonAsync<JsonElement>("/backend/list", ct);
        Assert.Equal(["echo-1", "echo-2"], backends.EnumerateArray().Select(b => b.GetProperty("id").GetString()).Order());
        Assert.Contains(host.StandardOutput, line => line.Contains("Demo mode", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Demo_FromTheRepositoryLayout_ListsEveryBundledPluginActiveAndNoError()
    {
        var ct = TestContext.Current.CancellationToken;
        // The repository's plugins/ holds the plugins' source projects: the demo must take them for what they are.
        var sourcePlugins = Path.Combine(RepositoryRoot(), "plugins");
        await using var host = HostProcess.Start(["--demo", "--plugins-dir", sourcePlugins, .. LoopbackPorts]);
        var (_, admin) = await host.WaitForListeningAsync(ct);

        using var http = new HttpClient { BaseAddress = admin };
        var plugins = (await http.GetFromJsonAsync<JsonElement>("/plugin/list", ct)).EnumerateArray().ToList();

        var bundled = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "plugins")).Select(Path.GetFileName).Order().ToList();
        Assert.NotEmpty(bundled);
        Assert.Equal(bundled, plugins.Select(p => p.GetProperty("name").GetString()).Order());
        Assert.All(plugins, p =>
        {
            Assert.Equal("active", p.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, p.GetProperty("error").ValueKind);
            Assert.True(p.GetProperty("bundled").GetBoolean());
        });
        Assert.Contains(host.StandardOutput, line => line.Contains("/plugin/list", StringComparison.Ordinal));
    }

    /// <summary>
    /// The README's message-filter walk-through: an example copied into the scripts folder of a running demo acts on
    /// the next message; an edit acts on the next message of the same, still open, session.
    /// </summary>
    [Fact]
    public async Task Demo_ExampleScriptCopiedThenEdited_OpenSessionSeesEachOnItsNextMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var scripts = Directory.CreateTempSubdirectory("wsbalancer-demo-scripts-").FullName;
        try
        {
            await using var host = HostProcess.Start(["--demo", "--scripts-dir", scripts, .. LoopbackPorts]);
            var (frontend, admin) = await host.WaitForListeningAsync(ct);
            using var http = new HttpClient { BaseAddress = admin };
            using var client = new ClientWebSocket();
            using (var timeout = Timeouts.Linked(ct))
            {
                await client.ConnectAsync(new Uri(frontend, "/chat"), timeout.Token);
            }

            await client.SendTextAsync("ping", ct);
            Assert.Matches(@"^\[echo-[12]\] ping$", await client.ReceiveTextAsync(ct)); // no script yet: the backend echoes it

            var script = Path.Combine(scripts, "heartbeat.js");
            File.Copy(Path.Combine(RepositoryRoot(), "scripts", "examples", "heartbeat.js"), script);
            await WaitForScriptVersionAsync(http, "heartbeat.js", 1, ct);
            await client.SendTextAsync("ping", ct);
            Assert.Equal("pong", await client.ReceiveTextAsync(ct));

            var source = await File.ReadAllTextAsync(script, ct);
            Assert.Contains("const PONG = 'pong';", source, StringComparison.Ordinal);
            await File.WriteAllTextAsync(script, source.Replace("const PONG = 'pong';", "const PONG = 'pong from the balancer';", StringComparison.Ordinal), ct);
            await WaitForScriptVersionAsync(http, "heartbeat.js", 2, ct);
            await client.SendTextAsync("ping", ct);
            Assert.Equal("pong from the balancer", await client.ReceiveTextAsync(ct));
            Assert.Equal(WebSocketState.Open, client.State);
        }
        finally
        {
            Directory.Delete(scripts, recursive: true);
        }
    }

    private static async Task WaitForScriptVersionAsync(HttpClient admin, string name, int version, CancellationToken ct)
    {
        using var timeout = Timeouts.Linked(ct);
        while (true)
        {
            var list = await admin.GetFromJsonAsync<JsonElement>("/script/list", timeout.Token);
            if (list.EnumerateArray().Any(s => s.GetProperty("name").GetString() == name
                && s.GetProperty("version").ValueKind == JsonValueKind.Number && s.GetProperty("version").GetInt32() == version))
            {
                return;
            }

            await Task.Delay(50, timeout.Token); // no event for "the script loaded": polled, bounded by the timeout
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "WsBalancer.Platform.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no WsBalancer.Platform.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task BadValue_ExitsWithCode2AndOneLineNamingTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = HostProcess.Start(["--demo"], new Dictionary<string, string> { ["FE_ADDR"] = "not-an-address" });

        var exitCode = await host.WaitForExitAsync(ct);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(host.StandardError);
        Assert.Contains("FE_ADDR", line);
        Assert.Contains("not-an-address", line);
    }

    [Fact]
    public async Task NoBackend_StartsWarnsAndIsNotReady()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = HostProcess.Start([.. LoopbackPorts, "--data-dir", ":memory:"]);
        var (_, admin) = await host.WaitForListeningAsync(ct);

        using var http = new HttpClient { BaseAddress = admin };
        using var ready = await http.GetAsync("/ready", ct);

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains(host.StandardError, line => line.Contains("no backend is configured", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Help_ExitsZeroAndNamesEveryAncestorVariable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = HostProcess.Start(["--help"]);

        Assert.Equal(0, await host.WaitForExitAsync(ct));
        var help = string.Join('\n', host.StandardOutput);
        string[] variables =
        [
            "FE_ADDR", "FE_READ_TIMEOUT", "FE_WRITE_TIMEOUT", "FE_MAX_HDR_BYTES", "FE_RB_SIZE", "FE_WB_SIZE", "FE_TRUST_XFF",
            "BLOCK_HEADERS", "RECONNECT_HDR", "ENABLE_INST", "LOG_LEVEL", "BE_URLS", "BE_URL_IDS", "BE_PING_TIME", "BE_RB_SIZE",
            "BE_WB_SIZE", "BE_BREAKER_THRESHOLD", "BE_HANDSHAKE_TIMEOUT", "BE_PASS_HEADERS", "BE_ABNORMAL_CLOSE_CODES",
            "ADM_ADDR", "ADM_READ_TIMEOUT", "ADM_WRITE_TIMEOUT", "ADM_MAX_HDR_BYTES",
        ];
        Assert.All(variables, v => Assert.Contains(v, help));
    }
}

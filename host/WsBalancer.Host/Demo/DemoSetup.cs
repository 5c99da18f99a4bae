using WsBalancer.Host.Configuration;
using WsBalancer.Host.Hosting;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Demo;

/// <summary><c>--demo</c>: two echo backends in this process, so the balancer can be tried with nothing else installed.</summary>
internal sealed class DemoSetup : IAsyncDisposable
{
    private readonly DemoEchoBackend[] _backends;

    private DemoSetup(DemoEchoBackend[] backends) => _backends = backends;

    public static async Task<DemoSetup> StartAsync(CancellationToken cancellationToken) =>
        new([await DemoEchoBackend.StartAsync("echo-1", cancellationToken), await DemoEchoBackend.StartAsync("echo-2", cancellationToken)]);

    /// <summary>
    /// Adds the echo backends to whatever backends the configuration already names. The demo keeps its backend
    /// registry in memory: its echo backends live on new ports each run, and a first try should leave no files behind.
    /// </summary>
    /// <remarks>
    /// It also turns on the first-party plugins built with the host (they are opt-in otherwise), with settings that make
    /// them visible in a first try, unless the configuration says otherwise for one of them.
    /// </remarks>
    public BalancerSettings Apply(BalancerSettings settings) => settings with
    {
        Server = settings.Server with { DataDirectory = ServerSettings.InMemoryDataDirectory },
        Backends = [.. settings.Backends, .. _backends.Select(b => new BackendSettings { Url = b.Url, Id = b.Name })],
        Plugins = settings.Plugins with { Entries = WithDemoPlugins(settings.Plugins.Entries) },
    };

    private static Dictionary<string, PluginEntrySettings> WithDemoPlugins(IReadOnlyDictionary<string, PluginEntrySettings> configured)
    {
        var entries = new Dictionary<string, PluginEntrySettings>(configured, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, settings) in DemoPlugins)
        {
            if (!entries.ContainsKey(name))
            {
                entries[name] = new PluginEntrySettings { Enabled = true, Settings = settings };
            }
        }

        return entries;
    }

    // HttpBridge is loaded to be seen in /plugin/list; it becomes the dialer only when upstream.dialer names it.
    private static readonly (string Name, Dictionary<string, string> Settings)[] DemoPlugins =
    [
        ("HttpBridge", new(StringComparer.OrdinalIgnoreCase) { ["url"] = "http://127.0.0.1:9/" }),
        ("RateLimit", new(StringComparer.OrdinalIgnoreCase) { ["messages-per-second"] = "20", ["burst"] = "40" }),
        ("SessionAudit", new(StringComparer.OrdinalIgnoreCase)),
    ];

    public void PrintWelcome(BalancerHost host, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("Demo mode: two echo backends are running in this process:");
        foreach (var backend in _backends)
        {
            output.WriteLine($"  {backend.Name,-8} {backend.Url}");
        }

        output.WriteLine();
        output.WriteLine("Try it:");
        output.WriteLine($"  Web page:   open {host.AdminUri} in a browser (backends, sessions, plugins, scripts, live charts).");
        output.WriteLine($"  WebSocket:  connect to {new Uri(host.FrontendUri, "/chat")} and send text; each reply names the backend that echoed it.");
        output.WriteLine($"  Backends:   curl {new Uri(host.AdminUri, "/backend/list")}");
        output.WriteLine($"  Sessions:   curl {new Uri(host.AdminUri, "/session/list")}");
        output.WriteLine($"  Failover:   curl -X POST {new Uri(host.AdminUri, "/session/failover/")}<session id>   (the client stays connected)");
        var first = _backends[0].Name;
        output.WriteLine($"  Drain:      curl -X POST \"{new Uri(host.AdminUri, $"/backend/drain/{first}")}?rate=5\"   (its sessions move to the others, 5 a second, no client notices;");
        output.WriteLine($"              curl -X POST {new Uri(host.AdminUri, $"/backend/undrain/{first}")} takes it back; or Drain and Undrain in the web page's Backends view)");
        output.WriteLine($"  Metrics:    curl {new Uri(host.AdminUri, "/metrics")}   (sessions, failovers, drains, bytes held against the buffer budget)");
        output.WriteLine($"  Plugins:    curl {new Uri(host.AdminUri, "/plugin/list")}   (drop a plugin folder into {host.PluginsDirectory}/ and it loads within 2 s)");
        output.WriteLine("              RateLimit is on: more than 20 messages per second (burst 40) from one session are dropped.");
        output.WriteLine($"  Scripts:    curl {new Uri(host.AdminUri, "/script/list")}   (save a *.js filter into {host.ScriptsDirectory}/ and the next message uses it;");
        output.WriteLine("              try: cp scripts/examples/heartbeat.js scripts/   then send ping)");
        output.WriteLine("Press Ctrl+C to stop.");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}

using WsBalancer.Host.Configuration;
using WsBalancer.Host.Hosting;
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
    public BalancerSettings Apply(BalancerSettings settings) => settings with
    {
        Server = settings.Server with { DataDirectory = ServerSettings.InMemoryDataDirectory },
        Backends = [.. settings.Backends, .. _backends.Select(b => new BackendSettings { Url = b.Url, Id = b.Name })],
    };

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
        output.WriteLine($"  WebSocket:  connect to {new Uri(host.FrontendUri, "/chat")} and send text; each reply names the backend that echoed it.");
        output.WriteLine($"  Backends:   curl {new Uri(host.AdminUri, "/backend/list")}");
        output.WriteLine($"  Sessions:   curl {new Uri(host.AdminUri, "/session/list")}");
        output.WriteLine($"  Failover:   curl -X POST {new Uri(host.AdminUri, "/session/failover/")}<session id>   (the client stays connected)");
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

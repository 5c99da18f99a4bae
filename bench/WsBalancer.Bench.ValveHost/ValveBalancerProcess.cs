using WsBalancer.Host.Configuration;
using WsBalancer.Host.Hosting;
using WsBalancer.Sdk;

namespace WsBalancer.Bench.ValveHost;

/// <summary>Runs the real balancer with <see cref="PassThroughValveProvider"/> registered until Ctrl+C or SIGTERM.</summary>
internal static class ValveBalancerProcess
{
    public static async Task<int> RunAsync(BalancerSettings settings)
    {
        BalancerHost host;
        try
        {
            host = await BalancerHost.StartAsync(
                settings,
                configureServices: services => services.AddSingleton<IValveProvider, PassThroughValveProvider>(),
                CancellationToken.None);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"cannot listen: {ex.Message}");
            return 1;
        }

        await using (host)
        {
            Console.Out.WriteLine($"WsBalancer (pass-through valve) listening: frontend {host.FrontendUri} admin {host.AdminUri}");
            await host.WaitForShutdownAsync(CancellationToken.None);
        }

        return 0;
    }
}

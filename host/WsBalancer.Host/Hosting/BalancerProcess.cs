using Microsoft.Extensions.DependencyInjection;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Demo;
using WsBalancer.Host.Storage;

namespace WsBalancer.Host.Hosting;

/// <summary>The balancer as a process: configuration, start, run until Ctrl+C or SIGTERM, graceful shutdown, exit code.</summary>
/// <remarks>Exit codes: 0 normal stop, 2 bad configuration or storage (one line naming the key or file), 1 failed to start.</remarks>
internal static class BalancerProcess
{
    /// <param name="args">The command line.</param>
    /// <param name="configureServices">Extra in-process registrations (valve providers, listeners), as for <see cref="BalancerHost.StartAsync"/>.</param>
    public static async Task<int> MainAsync(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        try
        {
            var loaded = BalancerConfiguration.Load(args, BalancerConfiguration.ProcessEnvironment(), Directory.GetCurrentDirectory());
            if (loaded.HelpRequested)
            {
                Console.Out.Write(HelpText.Build());
                return 0;
            }

            return await RunAsync(loaded.Settings, configureServices);
        }
        catch (ConfigurationErrorException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
        catch (StorageException ex)
        {
            // The database file is left exactly as it was found; the operator decides what to do with it.
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
    }

    /// <summary>The first-party plugins built with the host, beside its assembly (see the host's project file).</summary>
    public static string BundledPluginsDirectory => Path.Combine(AppContext.BaseDirectory, "plugins");

    private static async Task<int> RunAsync(BalancerSettings settings, Action<IServiceCollection>? configureServices)
    {
        settings = settings with { Plugins = settings.Plugins with { BundledDirectory = BundledPluginsDirectory } };
        if (settings.Server.InlineIo)
        {
            InlineIo.Enable(); // before the first socket (the demo's backends included): the runtime reads it once
        }

        // Before anything starts: a signal during the start then shuts down right after it, in the same order.
        using var signals = ShutdownSignals.Register();
        await using var demo = settings.Demo ? await DemoSetup.StartAsync(CancellationToken.None) : null;
        if (demo is not null)
        {
            settings = demo.Apply(settings);
        }

        BalancerHost host;
        try
        {
            host = await BalancerHost.StartAsync(settings, configureServices, CancellationToken.None);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"cannot listen: {ex.Message}");
            return 1;
        }

        await using (host)
        {
            Console.Out.WriteLine($"WsBalancer listening: frontend {host.FrontendUri} admin {host.AdminUri}");
            if (!host.HasBackends)
            {
                // Backends added through the admin API persist, so an empty start is legitimate; say what to do.
                Console.Error.WriteLine("warning: no backend is configured yet (upstream.backends, BE_URLS, or POST /backend/add); new clients get 502 until one is added");
            }

            demo?.PrintWelcome(host, Console.Out);
            await signals.Requested;
            await host.ShutdownAsync(signals.Forced);
        }

        return 0;
    }
}

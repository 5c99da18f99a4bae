using WsBalancer.Host.Configuration;
using WsBalancer.Host.Demo;
using WsBalancer.Host.Hosting;
using WsBalancer.Host.Storage;

// Exit codes: 0 normal stop, 2 bad configuration (one line naming the key), 1 failed to start.
try
{
    var loaded = BalancerConfiguration.Load(args, BalancerConfiguration.ProcessEnvironment(), Directory.GetCurrentDirectory());
    if (loaded.HelpRequested)
    {
        Console.Out.Write(HelpText.Build());
        return 0;
    }

    return await BalancerProcess.RunAsync(loaded.Settings);
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

/// <summary>Runs the balancer until Ctrl+C or SIGTERM, with demo backends when asked.</summary>
internal static class BalancerProcess
{
    public static async Task<int> RunAsync(BalancerSettings settings)
    {
        await using var demo = settings.Demo ? await DemoSetup.StartAsync(CancellationToken.None) : null;
        if (demo is not null)
        {
            settings = demo.Apply(settings);
        }

        BalancerHost host;
        try
        {
            host = await BalancerHost.StartAsync(settings, configureServices: null, CancellationToken.None);
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
            await host.WaitForShutdownAsync(CancellationToken.None);
        }

        return 0;
    }
}

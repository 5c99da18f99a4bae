using WsBalancer.Host.Configuration;
using WsBalancer.Host.Demo;
using WsBalancer.Host.Hosting;

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

        if (settings.Backends.Count == 0)
        {
            Console.Error.WriteLine("invalid configuration: upstream.backends: expected at least one backend (a config file, BE_URLS, or --demo)");
            return 2;
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
            demo?.PrintWelcome(host, Console.Out);
            await host.WaitForShutdownAsync(CancellationToken.None);
        }

        return 0;
    }
}

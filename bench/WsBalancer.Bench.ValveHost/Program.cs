using WsBalancer.Bench.ValveHost;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Storage;

// The balancer started as host/WsBalancer.Host/Program.cs starts it (same configuration sources: appsettings.json,
// --config, environment, command line), with one in-process pass-through valve registered: bench/run.sh's
// wsbalancer-valve target, whose echo figures next to plain wsbalancer's are the cost of the valve path.
// Exit codes as the host's: 0 normal stop, 2 bad configuration, 1 failed to start.
try
{
    var loaded = BalancerConfiguration.Load(args, BalancerConfiguration.ProcessEnvironment(), Directory.GetCurrentDirectory());
    if (loaded.HelpRequested)
    {
        Console.Out.Write(HelpText.Build());
        return 0;
    }

    if (loaded.Settings.Demo)
    {
        // The demo backends live in the host's own entry point; a benchmark needs real ones (BE_URLS) anyway.
        Console.Error.WriteLine("--demo is not supported by the valve benchmark host; configure backends with BE_URLS");
        return 2;
    }

    return await ValveBalancerProcess.RunAsync(loaded.Settings);
}
catch (ConfigurationErrorException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
catch (StorageException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

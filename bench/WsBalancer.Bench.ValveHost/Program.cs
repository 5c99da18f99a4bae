using Microsoft.Extensions.DependencyInjection;
using WsBalancer.Bench.ValveHost;
using WsBalancer.Host.Hosting;
using WsBalancer.Sdk;

// The balancer exactly as host/WsBalancer.Host starts it (same configuration sources, exit codes and --demo), with
// one in-process pass-through valve registered: bench/run.sh's wsbalancer-valve target, whose echo figures next to
// plain wsbalancer's are the cost of the valve path.
return await BalancerProcess.MainAsync(args, services => services.AddSingleton<IValveProvider, PassThroughValveProvider>());

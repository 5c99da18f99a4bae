using WsBalancer.Host.Hosting;

return await BalancerProcess.MainAsync(args);

using System.Net;
using WsBalancer.Bench.Echo;

// A minimal echo backend for the benchmark: every WebSocket message comes back with its type, on any path.
// Control endpoints (plain HTTP, same port or --control-port): GET /stats, POST /kill, POST /revive, POST /reset.
if (!EchoArguments.TryParse(args, out var arguments, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(EchoArguments.Usage);
    return error is null ? 0 : 2;
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxConcurrentConnections = null;
    kestrel.Limits.MaxConcurrentUpgradedConnections = null;
    kestrel.Listen(IPAddress.Loopback, arguments.Port);
    if (arguments.ControlPort is int controlPort && controlPort != arguments.Port)
    {
        kestrel.Listen(IPAddress.Loopback, controlPort);
    }
});

var app = builder.Build();
var server = new EchoServer(arguments.Name, arguments.Port);
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
app.Run(server.HandleAsync);
await app.StartAsync();
Console.Error.WriteLine($"echo backend '{arguments.Name}' listening on ws://127.0.0.1:{arguments.Port}/" +
    (arguments.ControlPort is int cp && cp != arguments.Port ? $" (control on http://127.0.0.1:{cp}/)" : string.Empty));
await app.WaitForShutdownAsync();
return 0;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Admin;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Sessions;
using WsBalancer.Host.Upstream;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// One balancer: a frontend server (WebSocket traffic) and an admin server (HTTP), each its own Kestrel with its
/// own limits, sharing one set of core services. The frontend application owns those services.
/// </summary>
internal sealed class BalancerHost : IAsyncDisposable
{
    private readonly WebApplication _frontend;
    private readonly WebApplication _admin;

    private BalancerHost(WebApplication frontend, WebApplication admin)
    {
        _frontend = frontend;
        _admin = admin;
    }

    public Uri FrontendUri { get; private set; } = null!;

    public Uri AdminUri { get; private set; } = null!;

    public IServiceProvider Services => _frontend.Services;

    /// <summary>Builds and starts both servers.</summary>
    /// <param name="settings">The validated configuration.</param>
    /// <param name="configureServices">Extra registrations (valve providers, session listeners, a dialer).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ConfigurationErrorException">The settings would expose the admin API without a token.</exception>
    public static async Task<BalancerHost> StartAsync(BalancerSettings settings, Action<IServiceCollection>? configureServices, CancellationToken cancellationToken)
    {
        AdminAccess.EnsureSafe(settings.Server);
        var frontend = BuildFrontend(settings, configureServices);
        var admin = BuildAdmin(settings, frontend.Services);
        var host = new BalancerHost(frontend, admin);
        await frontend.StartAsync(cancellationToken);
        try
        {
            await admin.StartAsync(cancellationToken);
        }
        catch
        {
            await frontend.StopAsync(CancellationToken.None);
            throw;
        }

        host.FrontendUri = Listeners.BoundUri(frontend.Services.GetRequiredService<IServer>(), "ws");
        host.AdminUri = Listeners.BoundUri(admin.Services.GetRequiredService<IServer>(), "http");
        return host;
    }

    private static WebApplication BuildFrontend(BalancerSettings settings, Action<IServiceCollection>? configureServices)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging, settings.Server.LoggingLevel);
        builder.WebHost.ConfigureKestrel(kestrel => Listeners.Configure(kestrel, settings.Server.Frontend));
        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(settings.Server);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new FrontendState(settings.Server.Frontend.Address));
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton(sp => new WebSocketUpstream(
            settings.Backends, settings.Server, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WebSocketUpstream>>()));
        services.AddSingleton<IBackendDialer>(sp => sp.GetRequiredService<WebSocketUpstream>());
        services.AddSingleton(sp => new SessionServices(
            settings.Server,
            sp.GetRequiredService<IBackendDialer>(),
            [.. sp.GetServices<IValveProvider>()],
            [.. sp.GetServices<ISessionListener>()],
            sp.GetRequiredService<SessionRegistry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Sessions"),
            sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
        services.AddSingleton<FrontendEndpoint>();
        configureServices?.Invoke(services);

        var app = builder.Build();
        app.UseWebSockets();
        var endpoint = app.Services.GetRequiredService<FrontendEndpoint>();
        app.Run(endpoint.HandleAsync);
        return app;
    }

    private static WebApplication BuildAdmin(BalancerSettings settings, IServiceProvider core)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(core.GetRequiredService<ILoggerFactory>());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Listeners.Configure(kestrel, settings.Server.Admin);
            kestrel.Limits.MaxRequestBodySize = AdminApi.MaxBodyBytes;
        });
        builder.Services.AddSingleton(core.GetRequiredService<SessionRegistry>());
        builder.Services.AddSingleton(core.GetRequiredService<FrontendState>());
        builder.Services.AddSingleton(core.GetRequiredService<IBackendDialer>());
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Admin");
        if (settings.Server.AdminToken is null && !settings.Server.Admin.Address.IsLoopback)
        {
            AdminLog.InsecureAdmin(logger, settings.Server.Admin.Address.ToString());
        }

        app.UseAdminToken(settings.Server.AdminToken, logger);
        app.MapAdminApi();
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, string level)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        LogLevels.TryParse(level, out var minimum);
        logging.SetMinimumLevel(minimum);
        // Kestrel and hosting chatter below Warning is noise for a proxy operator.
        logging.AddFilter("Microsoft", minimum < LogLevel.Warning ? LogLevel.Warning : minimum);
    }

    /// <summary>Stops taking sessions, ends live ones (clients get 1001), then stops both servers.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _admin.StopAsync(cancellationToken);
        await _frontend.StopAsync(cancellationToken);
    }

    /// <summary>Completes when the frontend application is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _frontend.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        await _admin.DisposeAsync();
        await _frontend.DisposeAsync();
    }
}

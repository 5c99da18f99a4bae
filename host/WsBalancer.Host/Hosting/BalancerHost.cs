using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Admin;
using WsBalancer.Host.AdminPage;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Metrics;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Scripting;
using WsBalancer.Host.Sessions;
using WsBalancer.Host.Storage;
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
    private readonly ListenerCertificates _certificates;

    private BalancerHost(WebApplication frontend, WebApplication admin, ListenerCertificates certificates)
    {
        _frontend = frontend;
        _admin = admin;
        _certificates = certificates;
    }

    /// <summary>The frontend's certificate when it serves wss://, else null.</summary>
    internal CertificateReloader? FrontendCertificates => _certificates.Frontend;

    /// <summary>The admin listener's certificate when it serves https://, else null.</summary>
    internal CertificateReloader? AdminCertificates => _certificates.Admin;

    public Uri FrontendUri { get; private set; } = null!;

    public Uri AdminUri { get; private set; } = null!;

    public IServiceProvider Services => _frontend.Services;

    /// <summary>The directory watched for script valves.</summary>
    public string ScriptsDirectory => Services.GetRequiredService<ScriptLibrary>().Settings.Directory;

    /// <summary>The directory watched for plugin folders.</summary>
    public string PluginsDirectory => Services.GetRequiredService<PluginCatalog>().Directory;

    /// <summary>True when a plugin dialer is active, or the built-in upstream knows a backend (from the configuration or the database).</summary>
    public bool HasBackends =>
        Services.GetRequiredService<PluginCatalog>().Current.DialerVersion is not null || !Services.GetRequiredService<WebSocketUpstream>().Backends.IsEmpty;

    /// <summary>Builds and starts both servers.</summary>
    /// <param name="settings">The validated configuration.</param>
    /// <param name="configureServices">Extra registrations (valve providers, session listeners, a dialer).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ConfigurationErrorException">The settings would expose the admin API without a token, or name a dialer no plugin has.</exception>
    public static async Task<BalancerHost> StartAsync(BalancerSettings settings, Action<IServiceCollection>? configureServices, CancellationToken cancellationToken)
    {
        AdminAccess.EnsureSafe(settings.Server);
        var certificates = new ListenerCertificates();
        WebApplication? frontend = null;
        try
        {
            frontend = BuildFrontend(settings, certificates, configureServices);
            // Before listening: a configured plugin dialer that does not load stops the start with its reason.
            frontend.Services.GetRequiredService<PluginCatalog>().Start();
            frontend.Services.GetRequiredService<ScriptLibrary>().Start();
            certificates.Start(settings.Server, frontend.Services.GetRequiredService<TimeProvider>(), frontend.Services.GetRequiredService<ILoggerFactory>());
        }
        catch
        {
            if (frontend is not null)
            {
                await frontend.DisposeAsync();
            }

            certificates.Dispose();
            throw;
        }

        var admin = BuildAdmin(settings, certificates, frontend.Services);
        var host = new BalancerHost(frontend, admin, certificates);
        await frontend.StartAsync(cancellationToken);
        try
        {
            await admin.StartAsync(cancellationToken);
        }
        catch
        {
            await frontend.StopAsync(CancellationToken.None);
            certificates.Dispose();
            throw;
        }

        host.FrontendUri = Listeners.BoundUri(frontend.Services.GetRequiredService<IServer>(), Listeners.Scheme(settings.Server.Frontend, "ws"));
        host.AdminUri = Listeners.BoundUri(admin.Services.GetRequiredService<IServer>(), Listeners.Scheme(settings.Server.Admin, "http"));
        return host;
    }

    private static WebApplication BuildFrontend(BalancerSettings settings, ListenerCertificates certificates, Action<IServiceCollection>? configureServices)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging, settings.Server.LoggingLevel);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Listeners.Configure(kestrel, settings.Server.Frontend, certificates.RequireFrontend, listen => ClientKeepAlive.Use(listen, settings.Server.TcpKeepAlive));
            kestrel.Limits.MaxRequestBufferSize = ClientReadBufferLimit(settings.Server);
        });
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.MaxReadBufferSize = ClientReadBufferLimit(settings.Server);
            // A client's bytes are handled on the thread that read them (see InlineIo); the message path leaves it.
            sockets.UnsafePreferInlineScheduling = settings.Server.InlineIo;
        });
        var services = builder.Services;
        // Client bytes in 16 KiB blocks, as the backend leg reads (see ClientBlockPool): Kestrel takes its pool from here.
        services.AddSingleton<IMemoryPoolFactory<byte>, ClientBlockPoolFactory>();
        services.AddSingleton(settings);
        services.AddSingleton(settings.Server);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new FrontendState(settings.Server.Frontend.Address));
        services.AddSingleton(sp => new SessionRegistry(sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Sessions")));
        services.AddSingleton(sp => new BufferBudget(settings.Server.BufferBudget, sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Sessions")));
        services.AddSingleton<IHostLifetime, ProcessOwnedLifetime>();
        services.AddSingleton(sp => new SessionDrain(
            sp.GetRequiredService<FrontendState>(),
            sp.GetRequiredService<SessionRegistry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Hosting")));

        // First, so the metrics valve is outermost: it sees client messages before, and backend messages after, every other valve.
        services.AddBalancerMetrics();
        services.AddSingleton(sp => BackendRegistry.Open(settings.Server.DataDirectory, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BackendRegistry>>()));
        services.AddSingleton(sp =>
        {
            var registry = sp.GetRequiredService<BackendRegistry>();
            var initial = registry.Reconcile(settings.Backends).Select(r => new InitialBackend(r.Settings, r.Enabled));
            return new WebSocketUpstream(
                initial,
                registry,
                sp.GetRequiredService<BalancerMetrics>(),
                settings.Server,
                BackendTrust.FromCaFile(settings.BackendCaFile),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<WebSocketUpstream>>());
        });
        services.AddSingleton<IBackendDialer>(sp => sp.GetRequiredService<WebSocketUpstream>());
        services.AddSingleton(sp => new PluginActivator(sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new PluginCatalog(
            settings.Plugins,
            settings.Server.DataDirectory,
            sp.GetRequiredService<IBackendDialer>(),
            sp.GetServices<IValveProvider>(),
            sp.GetServices<ISessionListener>(),
            sp.GetRequiredService<PluginActivator>(),
            sp.GetRequiredService<BalancerMetrics>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Plugins")));
        services.AddSingleton<PluginFaults>();
        services.AddHostedService<PluginWatcher>();
        services.AddSingleton(sp => new ScriptLibrary(settings.Scripts, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Scripting")));
        services.AddSingleton(sp => new ScriptFaultLog(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Scripting")));
        services.AddHostedService<ScriptWatcher>();
        services.AddHostedService<IdleEngineSweep>();
        services.AddSingleton(sp => new SessionServices(
            settings.Server,
            sp.GetRequiredService<PluginCatalog>(),
            sp.GetRequiredService<PluginFaults>(),
            sp.GetRequiredService<ScriptLibrary>(),
            sp.GetRequiredService<ScriptFaultLog>(),
            sp.GetRequiredService<SessionRegistry>(),
            sp.GetRequiredService<BalancerMetrics>(),
            sp.GetRequiredService<BufferBudget>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Sessions"),
            sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
        services.AddSingleton<SessionAdmission>();
        services.AddSingleton<FrontendEndpoint>();
        services.AddHostedService<SlowClientWatchdog>();
        configureServices?.Invoke(services);

        var app = builder.Build();
        ObserveGauges(app.Services);
        if (settings.Server.IdleTimeout > TimeSpan.Zero)
        {
            app.Use(ClientReadActivity.WatchAsync); // only then: the stream it adds costs a call per read
        }

        app.UseWebSockets();
        var endpoint = app.Services.GetRequiredService<FrontendEndpoint>();
        app.Run(endpoint.HandleAsync);
        return app;
    }

    /// <summary>
    /// How many bytes a client connection may hold unread. The relay keeps a client message on the connection's pipe
    /// until the backend's socket took all of it (so a failover can resend it whole): the pipe must hold the largest
    /// message, or reading would stop at the limit and the message never complete. Memory is taken only as bytes arrive.
    /// </summary>
    private static long ClientReadBufferLimit(ServerSettings server) => Math.Max(1L << 20, server.MaxMessageBytes + (64L << 10));

    /// <summary>The gauges read live state when scraped, so they cannot drift from it.</summary>
    private static void ObserveGauges(IServiceProvider services)
    {
        var metrics = services.GetRequiredService<BalancerMetrics>();
        var sessions = services.GetRequiredService<SessionRegistry>();
        var upstream = services.GetRequiredService<WebSocketUpstream>();
        metrics.ObserveActiveSessions(() => sessions.Count);
        metrics.ObservePending(() => sessions.Sessions.Sum(s => (long)s.PendingMessages));
        metrics.ObserveBufferBudget(services.GetRequiredService<BufferBudget>());
        metrics.ObserveBreakers(() => upstream.Backends.Select(b => (b.Id, BalancerMetrics.BreakerValue(b.Breaker.State))));
        metrics.ObserveDrains(upstream.DrainsRemaining);
    }

    private static WebApplication BuildAdmin(BalancerSettings settings, ListenerCertificates certificates, IServiceProvider core)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(core.GetRequiredService<ILoggerFactory>());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Listeners.Configure(kestrel, settings.Server.Admin, certificates.RequireAdmin);
            kestrel.Limits.MaxRequestBodySize = AdminApi.MaxBodyBytes;
        });
        builder.Services.AddSingleton<IHostLifetime, ProcessOwnedLifetime>();
        builder.Services.AddSingleton(core.GetRequiredService<SessionRegistry>());
        builder.Services.AddSingleton(core.GetRequiredService<FrontendState>());
        builder.Services.AddSingleton(core.GetRequiredService<PluginCatalog>());
        builder.Services.AddSingleton(core.GetRequiredService<ScriptLibrary>());
        builder.Services.AddSingleton(core.GetRequiredService<BalancerMetrics>());
        var credentials = new AdminCredentials(settings.Server.AdminToken, settings.Server.AdminReadToken);
        builder.Services.AddSingleton(credentials);
        builder.Services.AddSingleton(sp => new AdminAuthFailures(
            settings.Server, core.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Admin")));
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Admin");
        var failures = app.Services.GetRequiredService<AdminAuthFailures>();
        if (settings.Server.AdminToken is null && !settings.Server.Admin.Address.IsLoopback)
        {
            AdminLog.InsecureAdmin(logger, settings.Server.Admin.Address.ToString());
        }

        app.UseAdminSecurityHeaders();
        app.UseAdminErrors(logger);
        app.UseAdminToken(credentials, failures, PageAssets.IsPagePath, logger);
        app.UseAdminBodyLimit();
        app.MapAdminPage(PageAssets.Load(typeof(PageAssets).Assembly));
        app.MapAdminApi();
        app.MapPluginApi();
        app.MapScriptApi();
        app.MapPrometheusMetrics();
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
        // Hosting's request diagnostics write only request start and finish lines (Information, never shown here), yet
        // while that category is enabled at any level hosting creates an Activity and a log scope for every request,
        // which for a WebSocket lives as long as the session. Unhandled exceptions are Kestrel's to log, not this one's.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
    }

    /// <summary>Stops taking sessions, ends live ones (clients get 1001), then stops both servers.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Services.GetRequiredService<WebSocketUpstream>().StopDrains(); // a drain would move sessions the stop is ending
        await _admin.StopAsync(cancellationToken);
        await _frontend.StopAsync(cancellationToken);
    }

    /// <summary>
    /// The graceful shutdown (SIGTERM, Ctrl+C): drains the sessions (<see cref="SessionDrain"/>), stops both servers,
    /// then closes the backend database, so the last line is written once the database is on disk.
    /// </summary>
    /// <param name="forced">Cancelled by a second signal: the remaining sessions are closed at once.</param>
    public async Task ShutdownAsync(CancellationToken forced)
    {
        var server = Services.GetRequiredService<ServerSettings>();
        Services.GetRequiredService<WebSocketUpstream>().StopDrains(); // sessions now end where they are
        await Services.GetRequiredService<SessionDrain>().RunAsync(server.DrainTimeout, ForcedCloseBound(server), forced);
        await StopAsync(CancellationToken.None);
        Services.GetRequiredService<BackendRegistry>().Dispose(); // again with the services: a second dispose does nothing
        HostingLog.Stopped(Services.GetRequiredService<ILoggerFactory>().CreateLogger("WsBalancer.Host.Hosting"));
    }

    /// <summary>
    /// The longest a forced close should take: a session closing waits at most the write timeout for its close to be
    /// written, and the failover drain timeout twice (the backend's close, the client's answer).
    /// </summary>
    private static TimeSpan ForcedCloseBound(ServerSettings server) =>
        server.Frontend.WriteTimeout + (2 * server.FailoverDrainTimeout) + TimeSpan.FromSeconds(1);

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        await _admin.DisposeAsync();
        await _frontend.DisposeAsync();
        _certificates.Dispose();
    }
}

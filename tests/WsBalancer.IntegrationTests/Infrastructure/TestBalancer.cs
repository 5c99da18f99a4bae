using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Hosting;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Scripting;
using WsBalancer.Host.Sessions;
using WsBalancer.Host.Upstream;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>
/// The real balancer host on loopback port 0 (frontend and admin), over the given test backends. Disposing it
/// checks that every session ended, then stops it.
/// </summary>
public sealed class TestBalancer : IAsyncDisposable
{
    private readonly BalancerHost _host;
    private readonly List<ClientWebSocket> _clients = [];

    private TestBalancer(BalancerHost host)
    {
        _host = host;
        Admin = new HttpClient { BaseAddress = host.AdminUri, Timeout = Timeouts.Default };
    }

    public HttpClient Admin { get; }

    public Uri FrontendUri => _host.FrontendUri;

    public Uri AdminUri => _host.AdminUri;

    /// <summary>The frontend's certificate when it serves wss://.</summary>
    internal CertificateReloader? FrontendCertificates => _host.FrontendCertificates;

    internal SessionRegistry Sessions => _host.Services.GetRequiredService<SessionRegistry>();

    internal SessionAdmission Admission => _host.Services.GetRequiredService<SessionAdmission>();

    internal PluginCatalog Plugins => _host.Services.GetRequiredService<PluginCatalog>();

    internal ScriptLibrary Scripts => _host.Services.GetRequiredService<ScriptLibrary>();

    internal BufferBudget Budget => _host.Services.GetRequiredService<BufferBudget>();

    internal ILoggerFactory LoggerFactory => _host.Services.GetRequiredService<ILoggerFactory>();

    internal static async Task<TestBalancer> StartAsync(
        IEnumerable<TestBackend> backends,
        CancellationToken cancellationToken,
        Func<ServerSettings, ServerSettings>? server = null,
        Func<BackendSettings, BackendSettings>? backend = null,
        Action<IServiceCollection>? services = null,
        Func<PluginSettings, PluginSettings>? plugins = null,
        Func<ScriptSettings, ScriptSettings>? scripts = null,
        Func<BalancerSettings, BalancerSettings>? settings = null)
    {
        var serverSettings = new ServerSettings
        {
            Frontend = new ListenerSettings { Address = ListenAddress.Parse("127.0.0.1:0") },
            Admin = new ListenerSettings { Address = ListenAddress.Parse("127.0.0.1:0") },
            LoggingLevel = Environment.GetEnvironmentVariable("WSB_TEST_LOG_LEVEL") ?? "ERROR",
            DataDirectory = ServerSettings.InMemoryDataDirectory,
        };
        // No plugin folder unless a test gives one: a test must not pick up whatever lies in a shared directory.
        var pluginSettings = new PluginSettings { Directory = Path.Combine(Path.GetTempPath(), "wsbalancer-no-plugins", Guid.NewGuid().ToString("N")) };
        var scriptSettings = new ScriptSettings { Directory = Path.Combine(Path.GetTempPath(), "wsbalancer-no-scripts", Guid.NewGuid().ToString("N")) };
        var balancerSettings = new BalancerSettings
        {
            Plugins = plugins?.Invoke(pluginSettings) ?? pluginSettings,
            Scripts = scripts?.Invoke(scriptSettings) ?? scriptSettings,
            Server = server?.Invoke(serverSettings) ?? serverSettings,
            Backends = [.. backends.Select(b =>
            {
                var defaults = new BackendSettings { Url = b.Url, Id = b.Name };
                return backend?.Invoke(defaults) ?? defaults;
            })],
        };
        var logFile = Environment.GetEnvironmentVariable("WSB_TEST_LOG_FILE");
        var host = await BalancerHost.StartAsync(
            settings?.Invoke(balancerSettings) ?? balancerSettings,
            collection =>
            {
                if (logFile is not null)
                {
                    collection.AddSingleton<ILoggerProvider>(new FileLoggerProvider(logFile));
                }

                services?.Invoke(collection);
            },
            cancellationToken);
        return new TestBalancer(host);
    }

    /// <summary>Connects a client through the balancer; the client is disposed with the balancer.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string pathAndQuery, CancellationToken cancellationToken, Action<ClientWebSocketOptions>? options = null)
    {
        var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        options?.Invoke(client.Options);
        _clients.Add(client);
        using var timeout = Timeouts.Linked(cancellationToken);
        await client.ConnectAsync(new Uri(FrontendUri, pathAndQuery), timeout.Token);
        return client;
    }

    /// <summary>Tries a handshake that should fail; returns the HTTP status the balancer answered.</summary>
    public async Task<int> HandshakeStatusAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        using var timeout = Timeouts.Linked(cancellationToken);
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(new Uri(FrontendUri, pathAndQuery), timeout.Token));
        return (int)client.HttpStatusCode;
    }

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken) =>
        await Admin.GetFromJsonAsync<JsonElement>(path, cancellationToken);

    public async Task<JsonElement> PostAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await Admin.PostAsync(path, null, cancellationToken);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
    }

    /// <summary>Waits until the balancer has exactly <paramref name="count"/> live sessions.</summary>
    internal async Task WaitForSessionsAsync(int count, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (Sessions.Count != count)
        {
            if (count == 0)
            {
                await Sessions.WaitUntilEmptyAsync(timeout.Token);
            }
            else
            {
                await Task.Delay(10, timeout.Token); // no event for "n sessions"; polled briefly, bounded by the timeout
            }
        }
    }

    /// <summary>
    /// The only session, once the balancer has registered it: a client can hold its 101 a moment before the balancer
    /// goes on to register the session (with inline I/O the client's thread is woken by the 101's send itself).
    /// </summary>
    internal async Task<ILiveSession> SingleSessionAsync(CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (Sessions.Sessions.Count == 0)
        {
            await Task.Delay(5, timeout.Token); // no event for "registered": polled, bounded by the timeout
        }

        return Assert.Single(Sessions.Sessions);
    }

    /// <summary>
    /// Waits until the only session has completed <paramref name="count"/> failovers: the balancer, not just the
    /// backend, has the new leg (a backend accepts before the balancer has read its 101).
    /// </summary>
    internal async Task WaitForReconnectsAsync(int count, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        // A session not listed yet counts as none reconnected: the client can read its 101 before the balancer
        // registers the session (compared as null, it ended the wait at once, and a test went on before any failover).
        while ((Sessions.Sessions.SingleOrDefault()?.Reconnects ?? -1) < count)
        {
            await Task.Delay(5, timeout.Token); // no event for "failover done": polled, bounded by the timeout
        }
    }

    /// <summary>Stops the balancer the way SIGTERM does (live sessions are ended), leaving disposal for later.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _host.StopAsync(cancellationToken);

    /// <summary>Every backend leg must be closed and counted out once its session ended: nothing leaks.</summary>
    private async Task WaitForNoBackendConnectionsAsync(CancellationToken cancellationToken)
    {
        var upstream = _host.Services.GetRequiredService<WebSocketUpstream>();
        while (upstream.Backends.Any(b => b.ActiveConnections != 0))
        {
            await Task.Delay(10, cancellationToken); // legs finish their close handshake in the background
        }
    }

    /// <summary>Every byte a session counted against the buffer budget is given back once it ended.</summary>
    private async Task WaitForNothingBufferedAsync(CancellationToken cancellationToken)
    {
        while (Budget.Used != 0 || Budget.Holders != 0)
        {
            await Task.Delay(10, cancellationToken); // a pump gives its share back as it retires, after the registry empties
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Abort();
            client.Dispose();
        }

        try
        {
            using var timeout = new CancellationTokenSource(Timeouts.Default);
            await Sessions.WaitUntilEmptyAsync(timeout.Token);
            await WaitForNoBackendConnectionsAsync(timeout.Token);
            await WaitForNothingBufferedAsync(timeout.Token);
        }
        finally
        {
            Admin.Dispose();
            await _host.DisposeAsync();
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>
/// A real Kestrel WebSocket backend on 127.0.0.1:0. By default it echoes every message with its type; tests
/// change its behaviour (decline, pick subprotocols, add response headers, close or drop connections) and read
/// what it saw (handshake headers, target, messages).
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<BackendConnection> _connections = new();
    private readonly SemaphoreSlim _connected = new(0);
    private int _port;
    private readonly SemaphoreSlim _handshakeStarted = new(0);
    private int _handshakesStarted;

    private readonly bool _tls;

    private TestBackend(WebApplication app, string name, bool tls)
    {
        _app = app;
        Name = name;
        _tls = tls;
    }

    public string Name { get; }

    public Uri Url => new($"{(_tls ? "wss" : "ws")}://127.0.0.1:{_port}");

    /// <summary>When set, the handshake is answered with this status instead of 101.</summary>
    public int? DeclineStatus { get; set; }

    /// <summary>Subprotocols this backend accepts; it picks the first the client offers that is in this list.</summary>
    public IReadOnlyList<string> Subprotocols { get; set; } = [];

    /// <summary>Headers added to the 101 response.</summary>
    public IDictionary<string, string> ResponseHeaders { get; } = new Dictionary<string, string>();

    /// <summary>Delay before accepting a handshake (for tests of the re-dial window).</summary>
    public TimeSpan AcceptDelay { get; set; }

    /// <summary>When false, messages are recorded but not echoed.</summary>
    public bool Echo { get; set; } = true;

    /// <summary>Upgrade requests that reached this backend, answered or not yet (see <see cref="AcceptDelay"/>).</summary>
    public int HandshakesStarted => Volatile.Read(ref _handshakesStarted);

    public IReadOnlyList<BackendConnection> Connections => [.. _connections];

    public IEnumerable<BackendConnection> OpenConnections => _connections.Where(c => !c.Ended.IsCompleted);

    /// <param name="certificate">When set, the backend serves wss:// with this certificate (it must name 127.0.0.1).</param>
    public static async Task<TestBackend> StartAsync(string name, CancellationToken cancellationToken, int port = 0, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("WSB_TEST_LOG_FILE") is { } logFile)
        {
            builder.Logging.AddProvider(new FileLoggerProvider(logFile + "." + name + ".backend"));
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        var backend = new TestBackend(app, name, certificate is not null);
        app.UseWebSockets();
        app.Run(backend.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend._port = new Uri(address).Port;
        return backend;
    }

    /// <summary>Waits until <paramref name="count"/> connections in total have been accepted.</summary>
    public async Task WaitForConnectionsAsync(int count, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (_connections.Count < count)
        {
            await _connected.WaitAsync(timeout.Token);
        }
    }

    /// <summary>Waits until <paramref name="count"/> upgrade requests have reached this backend (accepted or not yet).</summary>
    public async Task WaitForHandshakesAsync(int count, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (HandshakesStarted < count)
        {
            await _handshakeStarted.WaitAsync(timeout.Token);
        }
    }

    /// <summary>
    /// The only connection, once this backend has recorded it: the balancer can read the 101 (and answer its client)
    /// a moment before this backend's handler goes on to record the connection it has just accepted.
    /// </summary>
    public async Task<BackendConnection> SingleConnectionAsync(CancellationToken cancellationToken)
    {
        await WaitForConnectionsAsync(1, cancellationToken);
        return Assert.Single(Connections);
    }

    /// <summary>Closes every open connection with <paramref name="code"/>, as a backend going down would.</summary>
    public async Task CloseAllAsync(WebSocketCloseStatus code, string reason)
    {
        foreach (var connection in OpenConnections)
        {
            await connection.CloseAsync(code, reason);
        }
    }

    /// <summary>Drops every open connection's TCP connection without a close frame.</summary>
    public void AbortAll()
    {
        foreach (var connection in OpenConnections)
        {
            connection.Abort();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        Interlocked.Increment(ref _handshakesStarted);
        _handshakeStarted.Release();
        if (AcceptDelay > TimeSpan.Zero)
        {
            await Task.Delay(AcceptDelay, context.RequestAborted);
        }

        if (DeclineStatus is { } status)
        {
            context.Response.StatusCode = status;
            if (status is >= 300 and < 400)
            {
                context.Response.Headers.Location = "/elsewhere";
            }

            return;
        }

        var offered = context.WebSockets.WebSocketRequestedProtocols;
        var chosen = offered.FirstOrDefault(p => Subprotocols.Contains(p));
        foreach (var (name, value) in ResponseHeaders)
        {
            context.Response.Headers[name] = value;
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync(chosen);
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var connection = new BackendConnection(Name, socket, target, headers, offered.ToArray(), chosen, () => Echo, context.Abort);
        _connections.Enqueue(connection);
        _connected.Release();
        await connection.RunAsync(context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        AbortAll();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

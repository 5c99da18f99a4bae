using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary>
/// A real HTTP REST backend on 127.0.0.1 for the HttpBridge dialer: a POST is answered with "[name] " + its body,
/// anything else with an empty 200. Records the bodies it answered and the reconnect header of each request.
/// </summary>
internal sealed class RestEchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _answered = new();
    private readonly ConcurrentQueue<string?> _reconnectHeaders = new();

    private RestEchoBackend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<string> Answered => [.. _answered];

    /// <summary>The X-Balancer-Reconnect header of every request (dial probes included), in arrival order.</summary>
    public IReadOnlyList<string?> ReconnectHeaders => [.. _reconnectHeaders];

    public static async Task<RestEchoBackend> StartAsync(string name, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var backend = new RestEchoBackend(name, app);
        app.Run(backend.HandleAsync);
        await app.StartAsync(cancellationToken);
        backend.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return backend;
    }

    /// <summary>Stops the backend as a crash would look to a client: its port refuses connections from now on.</summary>
    public async Task StopAsync() => await _app.StopAsync(CancellationToken.None);

    private async Task HandleAsync(HttpContext context)
    {
        _reconnectHeaders.Enqueue(context.Request.Headers["X-Balancer-Reconnect"].FirstOrDefault());
        if (context.Request.Method != HttpMethods.Post)
        {
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        _answered.Enqueue(body);
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync($"[{Name}] {body}", context.RequestAborted);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Plugins.Tests.HttpBridge;

/// <summary>What the backend saw of one request.</summary>
internal sealed record RestRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? ContentType => Headers.TryGetValue("Content-Type", out var value) ? value : null;
}

/// <summary>
/// A real Kestrel HTTP backend on 127.0.0.1:0. By default it answers a POST with 200, text/plain and the request body
/// prefixed by "re:", and anything else with an empty 200; tests replace <see cref="Handler"/>, and can hold requests
/// until they release them, oldest first.
/// </summary>
internal sealed class RestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RestRequest> _requests = new();
    private readonly ConcurrentQueue<TaskCompletionSource> _held = new();
    private readonly SemaphoreSlim _arrivals = new(0);

    private RestBackend(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int Port => Url.Port;

    public Func<RestRequest, HttpContext, Task> Handler { get; set; } = EchoAsync;

    public IReadOnlyList<RestRequest> Requests => [.. _requests];

    public IEnumerable<RestRequest> Posts => _requests.Where(r => r.Method == "POST");

    public static async Task<RestBackend> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var backend = new RestBackend(app);
        app.Run(backend.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        backend.Url = new Uri(address);
        return backend;
    }

    /// <summary>The default answer: 200 with "re:" + the body for a POST, an empty 200 otherwise.</summary>
    public static async Task EchoAsync(RestRequest request, HttpContext context)
    {
        if (request.Method != "POST")
        {
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.Body.WriteAsync("re:"u8.ToArray(), context.RequestAborted);
        await context.Response.Body.WriteAsync(request.Body, context.RequestAborted);
    }

    /// <summary>Waits until the test releases this request (or the client gives up on it).</summary>
    public async Task HoldAsync(HttpContext context)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _held.Enqueue(gate);
        _arrivals.Release();
        await gate.Task.WaitAsync(context.RequestAborted);
    }

    public int HeldCount => _held.Count;

    /// <summary>Waits until at least <paramref name="count"/> requests are held.</summary>
    public async Task WaitForHeldAsync(int count, CancellationToken cancellationToken)
    {
        while (_held.Count < count)
        {
            await _arrivals.WaitAsync(cancellationToken);
        }
    }

    public void ReleaseOldest()
    {
        Assert.True(_held.TryDequeue(out var gate), "no request is held");
        gate.SetResult();
    }

    public void ReleaseAll()
    {
        while (_held.TryDequeue(out var gate))
        {
            gate.SetResult();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var request = new RestRequest(context.Request.Method, target, headers, body.ToArray());
        _requests.Enqueue(request);
        try
        {
            await Handler(request, context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The bridge gave up on the request (a timeout or a cancelled POST): nothing to answer.
        }
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseAll();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrivals.Dispose();
    }
}

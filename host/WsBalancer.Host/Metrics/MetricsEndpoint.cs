using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace WsBalancer.Host.Metrics;

/// <summary>GET /metrics: the host's series in the Prometheus text exposition format 0.0.4.</summary>
internal static class MetricsEndpoint
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Maps GET /metrics to the <see cref="BalancerMetrics"/> registered in <paramref name="app"/>'s services.</summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder app)
    {
        var registry = app.ServiceProvider.GetRequiredService<BalancerMetrics>().Registry;
        return app.MapGet("/metrics", new RequestDelegate(context => WriteAsync(context, registry)));
    }

    private static async Task WriteAsync(HttpContext context, CollectorRegistry registry)
    {
        // Collected into memory first (a scrape is a few KiB) so that a failed collection can still answer 503
        // before anything has been sent.
        using var buffer = new MemoryStream();
        try
        {
            await registry.CollectAndExportAsTextAsync(buffer, context.RequestAborted);
        }
        catch (ScrapeFailedException)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        context.Response.ContentType = ContentType;
        context.Response.ContentLength = buffer.Length;
        buffer.Position = 0;
        await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}

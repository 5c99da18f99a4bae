using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Plugins;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Admin;

/// <summary><c>GET /ready</c>: the balancer is not shutting down, the frontend takes sessions and at least one enabled backend has a closed circuit.</summary>
internal static class Readiness
{
    public static IResult Check(FrontendState frontend, PluginCatalog plugins)
    {
        var dialer = plugins.Current.Dialer;
        if (frontend.Draining)
        {
            // First: a load balancer must stop sending clients here, whatever else is true.
            return NotReady("shutting down");
        }

        if (frontend.Paused)
        {
            return NotReady("frontend is paused");
        }

        if (plugins.Current.DialerUnavailable is { } unavailable)
        {
            return NotReady(unavailable);
        }

        if (dialer is IBackendAdministrator admin && !HasUsableBackend(admin))
        {
            return NotReady("no enabled backend with a closed circuit");
        }

        return Results.Json(new { status = "ready" });
    }

    // Read through the administrator's own listing, so any dialer that implements it gets a truthful answer.
    private static bool HasUsableBackend(IBackendAdministrator admin)
    {
        using var list = JsonDocument.Parse(admin.ListBackends());
        foreach (var backend in list.RootElement.EnumerateArray())
        {
            if (backend.TryGetProperty("enabled", out var enabled) && enabled.GetBoolean()
                && backend.TryGetProperty("tripped", out var tripped) && !tripped.GetBoolean())
            {
                return true;
            }
        }

        return false;
    }

    private static IResult NotReady(string reason) =>
        Results.Json(new { status = "not ready", reason }, statusCode: StatusCodes.Status503ServiceUnavailable);
}

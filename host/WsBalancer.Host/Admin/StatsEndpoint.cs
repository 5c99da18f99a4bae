using System.Text.Json;
using Microsoft.AspNetCore.Http;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Metrics;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Sessions;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Admin;

/// <summary>
/// <c>GET /stats</c>: the totals the web page's overview polls and turns into rates (a page cannot read counters
/// from the Prometheus text without parsing it, and the message counts are not instruments).
/// </summary>
internal static class StatsEndpoint
{
    public static IResult Read(SessionRegistry sessions, FrontendState frontend, PluginCatalog plugins, BalancerMetrics metrics)
    {
        var (received, sent) = sessions.MessageTotals();
        return Results.Json(new
        {
            at = TimeProvider.System.GetUtcNow(),
            frontend = new { id = frontend.Id, paused = frontend.Paused },
            sessions = sessions.Count,
            messagesReceived = received,
            messagesSent = sent,
            failoversLast5m = metrics.RecentFailovers.InWindow(),
            failoversTotal = metrics.RecentFailovers.Total,
            backends = plugins.Current.Dialer is IBackendAdministrator admin ? CountBackends(admin) : null,
        });
    }

    // Read through the administrator's own listing, as /ready does, so any dialer that implements it is counted truthfully.
    private static object CountBackends(IBackendAdministrator admin)
    {
        using var list = JsonDocument.Parse(admin.ListBackends());
        int total = 0, up = 0, tripped = 0, disabled = 0;
        foreach (var backend in list.RootElement.EnumerateArray())
        {
            total++;
            var enabled = !backend.TryGetProperty("enabled", out var e) || e.GetBoolean();
            var isTripped = backend.TryGetProperty("tripped", out var t) && t.GetBoolean();
            if (!enabled)
            {
                disabled++;
            }
            else if (isTripped)
            {
                tripped++;
            }
            else
            {
                up++;
            }
        }

        return new { total, up, tripped, disabled };
    }
}

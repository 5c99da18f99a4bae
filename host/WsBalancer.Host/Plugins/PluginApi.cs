using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WsBalancer.Host.Admin;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Plugins;

/// <summary><c>/plugin/*</c> on the admin listener, with the conventions of the ancestor's API (POST actions, same replies).</summary>
internal static class PluginApi
{
    public static void MapPluginApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/plugin/list", async (PluginCatalog plugins, HttpContext context) =>
        {
            var rows = await plugins.ListAsync(context.RequestAborted);
            return Results.Json(rows.Select(p => new
            {
                name = p.Name,
                version = p.Version,
                path = p.Path,
                loadedAt = p.LoadedAt,
                status = p.Status,
                error = p.Error,
                description = p.Description,
                bundled = p.Bundled,
                types = p.Types.Select(t => new { kind = t.Kind, name = t.Name }),
                sessions = p.Sessions,
                versions = p.Versions.Select(v => new
                {
                    version = v.Version,
                    sequence = v.Sequence,
                    loadedAt = v.LoadedAt,
                    status = v.Status,
                    sessions = v.Sessions,
                    retiredAt = v.RetiredAt,
                    error = v.Error,
                }),
            }));
        });
        MapPluginAction(app, "reload", (plugins, name, ct) => plugins.ReloadAsync(name, ct));
        MapPluginAction(app, "disable", (plugins, name, ct) => plugins.DisableAsync(name, ct));
        MapPluginAction(app, "enable", (plugins, name, ct) => plugins.EnableAsync(name, ct));
    }

    private static void MapPluginAction(IEndpointRouteBuilder app, string action, Func<PluginCatalog, string, CancellationToken, Task<PluginActionResult>> run) =>
        AdminApi.MapAction(app, $"/plugin/{action}/{{name}}", async (string name, PluginCatalog plugins, HttpContext context) =>
        {
            var outcome = await run(plugins, name, context.RequestAborted);
            return outcome.Result switch
            {
                AdminResult.Success => AdminReplies.Success,
                AdminResult.NoActionRequired => AdminReplies.NoActionRequired,
                _ => AdminReplies.Failed(outcome.Reason ?? "failed", outcome.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict),
            };
        });
}

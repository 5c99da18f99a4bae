using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using WsBalancer.Host.Admin;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Scripting;

/// <summary><c>/script/*</c> on the admin listener, with the conventions of the rest of the admin API.</summary>
internal static class ScriptApi
{
    public static void MapScriptApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/script/list", async (ScriptLibrary scripts, HttpContext context) =>
        {
            var slots = await scripts.ListAsync(context.RequestAborted);
            return Results.Json(slots.Select(slot =>
            {
                var file = slot.Current;
                var stats = slot.Stats;
                return new
                {
                    name = slot.Name,
                    match = file?.Header.Match.Select(m => m.Pattern) ?? [],
                    mode = file is null ? null : file.Header.Shadow ? "shadow" : "active",
                    onError = file?.Header.OnError.ToString().ToLowerInvariant(),
                    hash = file?.Hash,
                    version = file?.Version,
                    loadedAt = file?.LoadedAt,
                    status = StatusOf(slot),
                    error = slot.Error ?? slot.QuarantineReason,
                    lastFault = slot.LastFault,
                    calls = stats.Calls,
                    drops = stats.Drops,
                    modifies = stats.Modifies,
                    replies = stats.Replies,
                    errors = stats.Errors,
                    limitBreaks = stats.LimitBreaks,
                    avgMicros = Math.Round(stats.AverageMicros, 1),
                    p99Micros = stats.P99Micros(),
                };
            }));
        });
        app.MapGet("/script/source/{name}", (string name, ScriptLibrary scripts) =>
            scripts.Find(name)?.Current is { } file
                ? Results.Text(file.Source, "text/javascript; charset=utf-8")
                : AdminReplies.Failed($"unknown script '{name}'", StatusCodes.Status404NotFound));
        AdminApi.MapAction(app, "/script/enable/{name}", async (string name, ScriptLibrary scripts, HttpContext context) =>
            Reply(await scripts.EnableAsync(name, context.RequestAborted), name));
        AdminApi.MapAction(app, "/script/disable/{name}", async (string name, ScriptLibrary scripts, HttpContext context) =>
            Reply(await scripts.DisableAsync(name, context.RequestAborted), name));
    }

    /// <summary>active, error (the file never loaded), quarantined, or disabled.</summary>
    private static string StatusOf(ScriptSlot slot) =>
        slot.Disabled ? "disabled"
        : slot.Quarantined ? "quarantined"
        : slot.Current is null ? "error"
        : "active";

    private static IResult Reply(AdminResult? result, string name) => result switch
    {
        AdminResult.Success => AdminReplies.Success,
        AdminResult.NoActionRequired => AdminReplies.NoActionRequired,
        _ => AdminReplies.Failed($"unknown script '{name}'", StatusCodes.Status404NotFound),
    };
}

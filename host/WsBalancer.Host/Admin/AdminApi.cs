using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Sessions;
using WsBalancer.Host.Upstream;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Admin;

/// <summary>The ancestor's admin API: same paths, methods and JSON. Actions are POST; anything else gets 405.</summary>
internal static class AdminApi
{
    /// <summary>Largest admin request body; larger ones get 413.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static void MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/ready", Readiness.Check);
        // The web page asks which actions to offer; the server still checks every request.
        app.MapGet("/admin/whoami", (HttpContext context, AdminCredentials credentials) => Results.Json(new
        {
            role = AdminAccess.RoleOf(context) == AdminRole.Read ? "read" : "admin",
            tokenRequired = credentials.Required,
        }));
        app.MapGet("/stats", StatsEndpoint.Read);
        MapBackends(app);
        MapDrains(app);
        MapSessions(app);
        MapFrontends(app);
    }

    private static void MapBackends(IEndpointRouteBuilder app)
    {
        app.MapGet("/backend/list", (PluginCatalog plugins) =>
            plugins.Current.Dialer is IBackendAdministrator admin ? AdminReplies.Json(admin.ListBackends()) : NotImplemented());
        app.MapGet("/backend/config/{id}", (string id, PluginCatalog plugins) =>
        {
            if (plugins.Current.Dialer is not IBackendAdministrator admin)
            {
                return NotImplemented();
            }

            var json = admin.BackendConfig(id);
            return AdminReplies.Json(json, IsFailed(json) ? StatusCodes.Status404NotFound : StatusCodes.Status200OK);
        });
        MapAction(app, "/backend/add", async (HttpContext context, PluginCatalog plugins) =>
        {
            if (plugins.Current.Dialer is not IBackendAdministrator admin)
            {
                return NotImplemented();
            }

            byte[]? body;
            try
            {
                body = await ReadBodyAsync(context);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                body = null;
            }

            if (body is null)
            {
                return AdminReplies.Failed($"request body over {MaxBodyBytes} bytes", StatusCodes.Status413PayloadTooLarge);
            }

            // The built-in upstream's fields are known here; a plugin's administrator gets any JSON object and reads its own.
            if (BackendAddBody.Check(context.Request.ContentType, body, checkFields: admin is WebSocketUpstream, out var definition) is { } refused)
            {
                return refused;
            }

            var json = admin.AddBackend(definition);
            return AdminReplies.Json(json, IsFailed(json) ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
        });
        MapBackendAction(app, "disable", (admin, id, _) => Task.FromResult(AdminReplies.From(admin.DisableBackend(id), "backend", id)));
        MapBackendAction(app, "enable", (admin, id, _) => Task.FromResult(AdminReplies.From(admin.EnableBackend(id), "backend", id)));
        MapBackendAction(app, "reset", (admin, id, _) => Task.FromResult(AdminReplies.From(admin.ResetBackend(id), "backend", id)));
        MapBackendAction(app, "delete", async (admin, id, sessions) =>
        {
            var result = admin.DeleteBackend(id);
            if (result == AdminResult.Success)
            {
                // The administrator only forgets the backend; moving its live sessions (or ending those no other
                // backend can take) is the host's job.
                await sessions.MoveOffDeletedBackendAsync(id);
            }

            return AdminReplies.From(result, "backend", id);
        });
        MapBackendAction(app, "failover", async (admin, id, sessions) =>
        {
            if (!ListsBackend(admin, id))
            {
                return AdminReplies.Failed($"unknown backend id '{id}'", StatusCodes.Status404NotFound);
            }

            // Not MoveOffDeletedBackendAsync: the backend is still there, so a session no other backend took stays on it.
            var (moved, failed) = await sessions.FailoverBackendAsync(id);
            return failed > 0
                ? AdminReplies.Failed($"{failed} of {moved + failed} session(s) could not be moved", StatusCodes.Status502BadGateway)
                : moved == 0 ? AdminReplies.NoActionRequired : AdminReplies.Success;
        });
    }

    /// <summary>Paced drains: only the built-in upstream can leave a backend out of its choice, so a plugin dialer gets 501.</summary>
    private static void MapDrains(IEndpointRouteBuilder app)
    {
        MapAction(app, "/backend/drain/{id}", (string id, HttpContext context, PluginCatalog plugins, SessionRegistry sessions, ILoggerFactory loggers) =>
        {
            if (plugins.Current.Dialer is not WebSocketUpstream upstream)
            {
                return Task.FromResult(NotImplemented());
            }

            if (DrainRate.Parse(context.Request.Query, out var error) is not { } rate)
            {
                return Task.FromResult(AdminReplies.Failed(error!, StatusCodes.Status400BadRequest));
            }

            var outcome = upstream.Drain(id, rate, sessions);
            if (outcome == DrainRequest.RateChanged)
            {
                AdminLog.DrainRateChanged(loggers.CreateLogger("WsBalancer.Host.Admin"), id, rate);
            }

            return Task.FromResult(outcome switch
            {
                DrainRequest.Unknown => AdminReplies.Failed($"unknown backend id '{id}'", StatusCodes.Status404NotFound),
                DrainRequest.NothingToMove => AdminReplies.NoActionRequired,
                _ => AdminReplies.Success,
            });
        });
        MapAction(app, "/backend/undrain/{id}", (string id, PluginCatalog plugins) => Task.FromResult(
            plugins.Current.Dialer is WebSocketUpstream upstream ? AdminReplies.From(upstream.Undrain(id), "backend", id) : NotImplemented()));
    }

    private static void MapSessions(IEndpointRouteBuilder app)
    {
        app.MapGet("/session/list", (HttpContext context, SessionRegistry sessions) =>
        {
            var parameters = context.Request.Query;
            if (!SessionQuery.IsRequested(parameters))
            {
                return Results.Json(sessions.Sessions.Select(SessionRow.Of)); // the ancestor's plain array
            }

            if (SessionQuery.Parse(parameters, out var error) is not { } query)
            {
                return AdminReplies.Failed(error!, StatusCodes.Status400BadRequest);
            }

            return Results.Json(SessionListing.Page(
                query,
                id => sessions.Find(id) is { } session ? SessionRow.Of(session) : null,
                sessions.Sessions.Select(SessionRow.Of)));
        });
        MapAction(app, "/session/abort/{id}", (string id, SessionRegistry sessions) =>
            Task.FromResult(AdminReplies.From(sessions.Abort(id), "session", id)));
        MapAction(app, "/session/failover/{id}", async (string id, SessionRegistry sessions) =>
        {
            var session = sessions.Find(id);
            if (session is null)
            {
                return AdminReplies.Failed($"unknown session id '{id}'", StatusCodes.Status404NotFound);
            }

            var outcome = await session.RequestFailoverAsync();
            return outcome.Result == AdminResult.Success
                ? AdminReplies.Success
                : AdminReplies.Failed(outcome.Reason ?? "failover failed", StatusCodes.Status502BadGateway);
        });
    }

    private static void MapFrontends(IEndpointRouteBuilder app)
    {
        app.MapGet("/frontend/list", (FrontendState frontend) => Results.Json(new[] { new { id = frontend.Id, paused = frontend.Paused } }));
        MapAction(app, "/frontend/pause/{id}", (string id, FrontendState frontend) => Task.FromResult(Switch(frontend, id, paused: true)));
        MapAction(app, "/frontend/resume/{id}", (string id, FrontendState frontend) => Task.FromResult(Switch(frontend, id, paused: false)));
    }

    private static IResult Switch(FrontendState frontend, string id, bool paused)
    {
        if (id != frontend.Id)
        {
            return AdminReplies.Failed($"unknown frontend id '{id}'", StatusCodes.Status404NotFound);
        }

        return frontend.SetPaused(paused) ? AdminReplies.Success : AdminReplies.NoActionRequired;
    }

    private static void MapBackendAction(IEndpointRouteBuilder app, string action, Func<IBackendAdministrator, string, SessionRegistry, Task<IResult>> handler) =>
        MapAction(app, $"/backend/{action}/{{id}}", (string id, PluginCatalog plugins, SessionRegistry sessions) =>
            plugins.Current.Dialer is IBackendAdministrator admin ? handler(admin, id, sessions) : Task.FromResult(NotImplemented()));

    /// <summary>Maps an action to POST, and every other method on the same path to the ancestor's 405 reply.</summary>
    internal static void MapAction(IEndpointRouteBuilder app, string pattern, Delegate handler)
    {
        app.MapPost(pattern, handler);
        app.MapMethods(pattern, ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"], () => AdminReplies.Failed("OnlyPostAllowed", StatusCodes.Status405MethodNotAllowed));
    }

    internal static IResult NotImplemented() => AdminReplies.Failed("NotImplemented", StatusCodes.Status501NotImplemented);

    private static bool ListsBackend(IBackendAdministrator admin, string id)
    {
        using var list = JsonDocument.Parse(admin.ListBackends());
        return list.RootElement.EnumerateArray().Any(b => b.TryGetProperty("id", out var v) && v.GetString() == id);
    }

    private static bool IsFailed(string json) => json.Contains("\"result\":\"failed\"", StringComparison.Ordinal);

    /// <summary>The request body, or null when it is over the limit.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

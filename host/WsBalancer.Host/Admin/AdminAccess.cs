using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Admin;

/// <summary>
/// The admin plane's guard: optional bearer tokens (admin, and read-only) on every endpoint but <c>/health</c> and the
/// web page's files, and a refusal to start an admin listener reachable from other machines without the admin token.
/// </summary>
internal static class AdminAccess
{
    /// <summary>The reason of the 403 a read-only token gets on anything but GET.</summary>
    public const string ReadOnlyReason = "ReadOnlyToken";

    /// <summary>
    /// Refuses an admin listener off loopback with no admin token, unless the operator said it is fine. A read-only
    /// token does not count: it protects no action.
    /// </summary>
    /// <exception cref="ConfigurationErrorException">The admin API would be open to the network.</exception>
    public static void EnsureSafe(ServerSettings settings)
    {
        if (!settings.Admin.Address.IsLoopback && settings.AdminToken is null && !settings.AdminAllowInsecure)
        {
            throw new ConfigurationErrorException(
                "server.admin.address",
                settings.Admin.Address.ToString(),
                "a loopback address, or an admin token (server.admin.token / ADM_TOKEN), or server.admin.allow-insecure: true; the admin API can move and abort every session");
        }
    }

    /// <summary>
    /// Requires <c>Authorization: Bearer &lt;token&gt;</c> when a token is configured: the admin token for everything, the
    /// read-only token for GET and HEAD only (403 otherwise). <c>/health</c> and the web page's files need none. An
    /// address that presented too many wrong tokens gets 429 with <c>Retry-After</c> (see <see cref="AdminAuthFailures"/>).
    /// </summary>
    public static void UseAdminToken(this IApplicationBuilder app, AdminCredentials credentials, AdminAuthFailures failures, Func<PathString, bool> isPagePath, ILogger logger)
    {
        if (!credentials.Required)
        {
            return;
        }

        app.Use(async (context, next) =>
        {
            var request = context.Request;
            var remote = context.Connection.RemoteIpAddress;
            var (verdict, role) = AdminAuthorization.Decide(credentials, request.Method, request.Path, request.Headers.Authorization.ToString(), isPagePath);
            if (verdict == AdminVerdict.Public)
            {
                await next(context);
                return;
            }

            // Before the verdict is acted on: a refused address learns nothing, not even whether this token was right.
            if (failures.IsRefused(remote, out var retryAfter))
            {
                AdminLog.AuthFailureRefused(logger, request.Path, remote?.ToString());
                context.Response.Headers.RetryAfter = AdminAuthFailures.RetryAfterSeconds(retryAfter);
                await AdminReplies.Failed(AdminAuthFailures.Reason, StatusCodes.Status429TooManyRequests).ExecuteAsync(context);
                return;
            }

            switch (verdict)
            {
                case AdminVerdict.Allowed:
                    context.Items[typeof(AdminRole)] = role;
                    await next(context);
                    return;
                case AdminVerdict.ReadOnly:
                    AdminLog.ReadOnlyRefused(logger, request.Method, request.Path, remote?.ToString());
                    await AdminReplies.Failed(ReadOnlyReason, StatusCodes.Status403Forbidden).ExecuteAsync(context);
                    return;
                default:
                    // Only a presented token is a guess; a request without one (a page not signed in yet) is not counted.
                    if (request.Headers.Authorization.Count > 0)
                    {
                        failures.RecordFailure(remote);
                    }

                    AdminLog.Unauthorized(logger, request.Path, remote?.ToString());
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await AdminReplies.Failed("Unauthorized", StatusCodes.Status401Unauthorized).ExecuteAsync(context);
                    return;
            }
        });
    }

    /// <summary>The role the token middleware found; <see cref="AdminRole.Admin"/> when no token is configured.</summary>
    public static AdminRole RoleOf(HttpContext context) =>
        context.Items.TryGetValue(typeof(AdminRole), out var role) && role is AdminRole known ? known : AdminRole.Admin;

    /// <summary>
    /// Refuses any admin request whose body is over <see cref="AdminApi.MaxBodyBytes"/> with 413, before an
    /// endpoint runs: an action that ignores its body must not be carried out on an oversized request either.
    /// </summary>
    public static void UseAdminBodyLimit(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (request.ContentLength > AdminApi.MaxBodyBytes)
            {
                await TooLargeAsync(context);
                return;
            }

            if (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0)
            {
                // A chunked body has no length up front: read it here (Kestrel stops at the limit), then rewind for the endpoint.
                request.EnableBuffering();
                try
                {
                    await request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                }
                catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    await TooLargeAsync(context);
                    return;
                }

                request.Body.Position = 0;
            }

            await next(context);
        });
    }

    private static Task TooLargeAsync(HttpContext context) =>
        AdminReplies.Failed($"request body over {AdminApi.MaxBodyBytes} bytes", StatusCodes.Status413PayloadTooLarge).ExecuteAsync(context);
}

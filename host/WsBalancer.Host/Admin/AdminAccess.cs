using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Admin;

/// <summary>
/// The admin plane's guard: an optional bearer token on every endpoint but <c>/health</c>, and a refusal to
/// start an admin listener reachable from other machines without one.
/// </summary>
internal static class AdminAccess
{
    /// <summary>Refuses an admin listener off loopback with no token, unless the operator said it is fine.</summary>
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

    /// <summary>Requires <c>Authorization: Bearer &lt;token&gt;</c> when a token is configured.</summary>
    public static void UseAdminToken(this IApplicationBuilder app, string? token, ILogger logger)
    {
        if (token is null)
        {
            return;
        }

        // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals("/health", StringComparison.Ordinal) || IsAuthorized(context.Request, expected))
            {
                await next(context);
                return;
            }

            AdminLog.Unauthorized(logger, context.Request.Path, context.Connection.RemoteIpAddress?.ToString());
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await AdminReplies.Failed("Unauthorized", StatusCodes.Status401Unauthorized).ExecuteAsync(context);
        });
    }

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

    private static bool IsAuthorized(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }
}

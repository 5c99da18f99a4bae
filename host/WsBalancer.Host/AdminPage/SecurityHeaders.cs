using Microsoft.AspNetCore.Builder;

namespace WsBalancer.Host.AdminPage;

/// <summary>
/// Headers on every admin response (page and API alike): the page runs only its own files (no inline script or style,
/// no eval), may not be framed, leaks no referrer, and no response is content-sniffed into something executable.
/// </summary>
internal static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void UseAdminSecurityHeaders(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY"; // for browsers that predate frame-ancestors
            await next(context);
        });
    }
}

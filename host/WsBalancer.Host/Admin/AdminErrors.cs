using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WsBalancer.Host.Admin;

/// <summary>
/// Every admin error in the API's shape, <c>{"result":"failed","reason":…}</c>: an unknown path or a missing id (404)
/// and a wrong method (405) answered by routing with an empty body get a reason naming what was asked; an exception
/// becomes a 500 with a reason, logged once, instead of an empty reply and the server's unhandled-exception line.
/// </summary>
internal static class AdminErrors
{
    private const int MaxEcho = 200;

    public static void UseAdminErrors(this IApplicationBuilder app, ILogger logger)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception) when (context.RequestAborted.IsCancellationRequested)
            {
                // The caller went away: nobody is left to answer.
            }
            catch (Exception ex)
            {
                AdminLog.RequestFailed(logger, context.Request.Method, Echo(context.Request.Path.ToString()), ex);
                if (context.Response.HasStarted)
                {
                    context.Abort();
                    return;
                }

                // Not Response.Clear(): that would also drop the security headers set before this middleware.
                await AdminReplies.Failed("internal error: see the balancer's log", StatusCodes.Status500InternalServerError).ExecuteAsync(context);
            }
        });
        app.UseStatusCodePages(status => WriteReasonAsync(status.HttpContext));
    }

    private static Task WriteReasonAsync(HttpContext context)
    {
        var request = context.Request;
        var status = context.Response.StatusCode;
        var target = Echo(RawPath(context));
        var reason = status switch
        {
            StatusCodes.Status404NotFound => NotFoundReason(context, target),
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} {target} is not allowed: use {context.Response.Headers.Allow}",
            _ => ReasonPhrases.GetReasonPhrase(status),
        };
        return AdminReplies.Failed(reason, status).ExecuteAsync(context);
    }

    private static string NotFoundReason(HttpContext context, string target)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (HasDotSegment(target))
        {
            // The server resolved '.' and '..' before routing; say so, or "/backend/delete/.." would read as a missing route.
            return $"no admin endpoint {request.Method} {target}: '.' and '..' segments are resolved (it became {Echo(path)}), and no id is '.' or '..'";
        }

        return MissingParameter(context, path) is { } route
            ? $"missing {route.Parameter}: {route.Method} {route.Pattern}"
            : $"no admin endpoint {request.Method} {target}";
    }

    /// <summary>
    /// The route that <paramref name="path"/> would reach with one more segment (<c>/backend/disable/</c> →
    /// <c>POST /backend/disable/{id}</c>), with its method: of the endpoints on that pattern, the one with the fewest
    /// methods (an action's POST, not the 405 answer mapped for every other method).
    /// </summary>
    private static (string Parameter, string Method, string Pattern)? MissingParameter(HttpContext context, string path)
    {
        var segments = path.Trim('/').Split('/');
        (string Parameter, string Method, string Pattern)? best = null;
        var fewest = int.MaxValue;
        foreach (var endpoint in context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints)
        {
            if (endpoint is not RouteEndpoint { RoutePattern: var pattern } || !Extends(pattern, segments)
                || pattern.PathSegments[^1].Parts is not [RoutePatternParameterPart parameter]
                || endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is not [var method, ..] methods
                || methods.Count >= fewest)
            {
                continue;
            }

            fewest = methods.Count;
            best = (parameter.Name, method, pattern.RawText ?? path);
        }

        return best;
    }

    /// <summary>True when <paramref name="pattern"/> is the literal <paramref name="segments"/> and one more segment.</summary>
    private static bool Extends(RoutePattern pattern, string[] segments)
    {
        if (pattern.PathSegments.Count != segments.Length + 1)
        {
            return false;
        }

        for (var i = 0; i < segments.Length; i++)
        {
            if (pattern.PathSegments[i].Parts is not [RoutePatternLiteralPart literal] || !literal.Content.Equals(segments[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasDotSegment(string rawPath) =>
        rawPath.Replace("%2E", ".", StringComparison.OrdinalIgnoreCase).Split('/').Any(s => s is "." or "..");

    /// <summary>The path as the caller sent it, before the server decoded and resolved it.</summary>
    private static string RawPath(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return context.Request.Path.ToString();
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        return query >= 0 ? raw[..query] : raw;
    }

    private static string Echo(string text) => text.Length <= MaxEcho ? text : text[..MaxEcho] + "…";
}

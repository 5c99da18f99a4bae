using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace WsBalancer.Host.AdminPage;

/// <summary>Serves the web page: <c>GET /</c> is <c>index.html</c>, <c>GET /assets/{path}</c> the other files; 304 on a matching ETag.</summary>
internal static class PageEndpoint
{
    // Always revalidate: the ETag makes that a 304 of a few bytes, and a new host version is picked up on the next load.
    private const string CacheControl = "no-cache";

    public static void MapAdminPage(this IEndpointRouteBuilder app, PageAssets assets)
    {
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/", methods, (HttpContext context) => Serve(context, assets.Find(PageAssets.IndexPath)));
        app.MapMethods(PageAssets.AssetsPrefix + "{**path}", methods, (string path, HttpContext context) =>
            Serve(context, path == PageAssets.IndexPath ? null : assets.Find(path)));
    }

    private static IResult Serve(HttpContext context, PageAsset? asset)
    {
        if (asset is null)
        {
            return Results.Json(new { result = "failed", reason = "NotFound" }, statusCode: StatusCodes.Status404NotFound);
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.EntityTag;
        headers.CacheControl = CacheControl;
        if (EntityTag.Matches(context.Request.Headers.IfNoneMatch.ToString(), asset.EntityTag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }
}

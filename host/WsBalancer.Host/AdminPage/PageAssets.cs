using System.Collections.Frozen;
using System.Reflection;

namespace WsBalancer.Host.AdminPage;

/// <summary>
/// The web page's files (HTML, CSS, JavaScript modules, icon), embedded in the host assembly under <c>AdminPage/</c>:
/// no build step, nothing to deploy beside the binary, and nothing that changes while the process runs.
/// </summary>
internal sealed class PageAssets
{
    /// <summary>Where the page's files live under the admin listener, beside the API paths; <c>/</c> is the page itself.</summary>
    public const string AssetsPrefix = "/assets/";

    public const string IndexPath = "index.html";

    private const string ResourcePrefix = "AdminPage/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, PageAsset> _assets;

    private PageAssets(FrozenDictionary<string, PageAsset> assets) => _assets = assets;

    public int Count => _assets.Count;

    /// <summary>Reads every embedded file of the page once.</summary>
    /// <exception cref="InvalidOperationException">A file type without a known content type was embedded (a build mistake).</exception>
    public static PageAssets Load(Assembly assembly)
    {
        var assets = new Dictionary<string, PageAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var path = name[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(System.IO.Path.GetExtension(path), out var contentType))
            {
                throw new InvalidOperationException($"The admin page file '{path}' has no known content type.");
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            assets[path] = new PageAsset(path, contentType, content, EntityTag.Of(content));
        }

        return new PageAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The file at a path relative to the page (<c>index.html</c>, <c>js/app.js</c>), or null.</summary>
    public PageAsset? Find(string path) => _assets.GetValueOrDefault(path);

    /// <summary>True for the paths the page's files are served on: open without a token, since they hold no secret.</summary>
    public static bool IsPagePath(Microsoft.AspNetCore.Http.PathString path) =>
        path.Equals("/", StringComparison.Ordinal) || path.StartsWithSegments(AssetsPrefix.TrimEnd('/'), StringComparison.Ordinal);
}

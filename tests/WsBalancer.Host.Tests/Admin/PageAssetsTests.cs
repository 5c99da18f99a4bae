using WsBalancer.Host.AdminPage;

namespace WsBalancer.Host.Tests.Admin;

/// <summary>The web page's files embedded in the host assembly.</summary>
public sealed class PageAssetsTests
{
    private static readonly PageAssets Assets = PageAssets.Load(typeof(PageAssets).Assembly);

    [Theory]
    [InlineData("index.html", "text/html; charset=utf-8")]
    [InlineData("app.css", "text/css; charset=utf-8")]
    [InlineData("favicon.svg", "image/svg+xml")]
    [InlineData("js/main.js", "text/javascript; charset=utf-8")]
    [InlineData("js/views/sessions.js", "text/javascript; charset=utf-8")]
    public void Find_EmbeddedFile_WithContentTypeAndTag(string path, string contentType)
    {
        var asset = Assets.Find(path);

        Assert.NotNull(asset);
        Assert.Equal(contentType, asset.ContentType);
        Assert.NotEmpty(asset.Content);
        Assert.Equal(EntityTag.Of(asset.Content), asset.EntityTag);
    }

    [Fact]
    public void Find_UnknownFile_Null()
    {
        Assert.Null(Assets.Find("js/nothing.js"));
        Assert.Null(Assets.Find("../WsBalancer.Host.dll"));
    }

    [Fact]
    public void Files_NoInlineScriptOrStyleAndNoEval_SoTheStrictPolicyHolds()
    {
        var html = System.Text.Encoding.UTF8.GetString(Assets.Find("index.html")!.Content);

        Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)", html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(" on[a-z]+=", html);
        foreach (var module in new[] { "js/main.js", "js/dom.js", "js/api.js", "js/views/scripts.js" })
        {
            var code = System.Text.Encoding.UTF8.GetString(Assets.Find(module)!.Content);
            Assert.DoesNotContain("innerHTML", code, StringComparison.Ordinal);
            Assert.DoesNotContain("eval(", code, StringComparison.Ordinal);
            Assert.DoesNotContain("new Function", code, StringComparison.Ordinal);
        }
    }
}

using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

public sealed class BackendIdTests
{
    [Theory]
    [InlineData("ws://localhost:9090", "localhost-9090")]
    [InlineData("ws://localhost:9090/x", "localhost-9090")]
    [InlineData("ws://10.0.0.1:80/x", "10-0-0-1-80")]
    [InlineData("wss://example.com", "example-com")]
    [InlineData("ws://echo.example.org:8080/socket?x=1", "echo-example-org-8080")]
    [InlineData("wss://echo.example.org/socket?x=1", "echo-example-org")]
    [InlineData("ws://[::1]:9000/", "---1--9000")]
    [InlineData("no-scheme", "no-scheme")]
    [InlineData("odd value!", "odd-value-")]
    public void FromUrl_Url_MatchesAncestorNormalizeForId(string url, string expected)
    {
        Assert.Equal(expected, BackendId.FromUrl(url));
    }
}

using Bogus;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Tests.Upstream;

public sealed class UpstreamBackendTests
{
    private readonly Faker _faker = new();

    [Theory]
    [InlineData("ws://h:1", "ws://front:8080/a?b=1", "ws://h:1/a?b=1")]
    [InlineData("ws://h:1", "/a?b=1", "ws://h:1/a?b=1")]
    [InlineData("ws://h:1/", "/a?b=1", "ws://h:1/a?b=1")]
    [InlineData("ws://h:1/base", "/x", "ws://h:1/base/x")]
    [InlineData("ws://h:1/base/", "ws://front/x?y=2&z=3", "ws://h:1/base/x?y=2&z=3")]
    [InlineData("wss://example.com:8443/base", "/", "wss://example.com:8443/base/")]
    [InlineData("ws://10.0.0.1:80", "/ocpp/CP-1?x=%20y", "ws://10.0.0.1:80/ocpp/CP-1?x=%20y")]
    public void UrlFor_BaseAndClientTarget_JoinsBasePathAndQuery(string baseUrl, string client, string expected)
    {
        var backend = Backend(baseUrl);
        var clientUri = new Uri(client, UriKind.RelativeOrAbsolute);

        var url = backend.UrlFor(clientUri);

        Assert.Equal(new Uri(expected).AbsoluteUri, url.AbsoluteUri);
    }

    [Fact]
    public void UrlFor_GeneratedPathAndQuery_AppendedVerbatim()
    {
        var segments = Enumerable.Range(0, _faker.Random.Int(1, 4)).Select(_ => _faker.Random.AlphaNumeric(_faker.Random.Int(1, 12)));
        var path = "/" + string.Join('/', segments);
        var query = $"?{_faker.Random.AlphaNumeric(5)}={_faker.Random.AlphaNumeric(8)}";
        var backend = Backend("ws://127.0.0.1:9000/base");

        var url = backend.UrlFor(new Uri("ws://frontend:80" + path + query));

        Assert.Equal("ws://127.0.0.1:9000/base" + path + query, url.AbsoluteUri);
    }

    [Fact]
    public void Counters_OpenedClosedFailed_TrackEachEvent()
    {
        var backend = Backend("ws://h:1");

        backend.ConnectionOpened();
        backend.ConnectionOpened();
        backend.ConnectionOpened();
        backend.ConnectionClosed();
        backend.DialFailed();

        Assert.Equal(2, backend.ActiveConnections);
        Assert.Equal(3, backend.TotalConnections);
        Assert.Equal(1, backend.TotalFailures);
    }

    [Fact]
    public void SetEnabled_SamePositionTwice_SecondReportsNoChange()
    {
        var backend = Backend("ws://h:1");

        Assert.True(backend.Enabled);
        Assert.False(backend.SetEnabled(true));
        Assert.True(backend.SetEnabled(false));
        Assert.False(backend.SetEnabled(false));
        Assert.False(backend.Enabled);
        Assert.True(backend.SetEnabled(true));
        Assert.True(backend.Enabled);
    }

    private static UpstreamBackend Backend(string url) =>
        new(new BackendSettings { Url = new Uri(url), Id = BackendId.FromUrl(url) }, new FakeTimeProvider());
}

using WsBalancer.Plugins.HttpBridge;

namespace WsBalancer.Plugins.Tests.HttpBridge;

public sealed class HttpBridgeSettingsTests
{
    [Theory]
    [InlineData("500ms", 5_000_000L)]
    [InlineData("10s", 100_000_000L)]
    [InlineData("1m30s", 900_000_000L)]
    [InlineData("1.5h", 54_000_000_000L)]
    [InlineData("2h45m", 99_000_000_000L)]
    [InlineData("250us", 2_500L)]
    [InlineData("250µs", 2_500L)]
    [InlineData("1500ns", 15L)]
    public void TryParse_GoDuration_GivesTicks(string text, long ticks)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(ticks, duration.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("s")]
    [InlineData("-1s")]
    [InlineData("1.2.3s")]
    [InlineData("10 s")]
    [InlineData("5d")]
    [InlineData("x")]
    public void TryParse_NotAGoDuration_False(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Fact]
    public void Parse_OnlyUrl_Defaults()
    {
        var settings = HttpBridgeSettings.Parse(new TestPluginContext([KeyValuePair.Create("url", "http://10.0.0.21:8000, https://api.test/v1/")]));

        Assert.Equal([new Uri("http://10.0.0.21:8000"), new Uri("https://api.test/v1/")], settings.Urls);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Timeout);
        Assert.Equal(4, settings.MaxInFlight);
        Assert.Equal(HttpMethod.Head, settings.OpenMethod);
        Assert.Equal("text/plain; charset=utf-8", settings.TextContentType);
        Assert.Equal("application/octet-stream", settings.BinaryContentType);
        Assert.Equal(4 * 1024 * 1024, settings.MaxResponseBytes);
        Assert.Equal(ClientErrorPolicy.Reply, settings.OnClientError);
    }

    [Fact]
    public void Parse_EverySetting_Read()
    {
        var settings = HttpBridgeSettings.Parse(new TestPluginContext(
        [
            KeyValuePair.Create("URL", "http://127.0.0.1:9000"),
            KeyValuePair.Create("Timeout", "1m30s"),
            KeyValuePair.Create("max-in-flight", "64"),
            KeyValuePair.Create("open-method", "none"),
            KeyValuePair.Create("text-content-type", "application/json"),
            KeyValuePair.Create("binary-content-type", "application/cbor"),
            KeyValuePair.Create("max-response-bytes", "1024"),
            KeyValuePair.Create("on-client-error", "Close"),
        ]));

        Assert.Equal(TimeSpan.FromSeconds(90), settings.Timeout);
        Assert.Equal(64, settings.MaxInFlight);
        Assert.Null(settings.OpenMethod);
        Assert.Equal("application/json", settings.TextContentType);
        Assert.Equal("application/cbor", settings.BinaryContentType);
        Assert.Equal(1024, settings.MaxResponseBytes);
        Assert.Equal(ClientErrorPolicy.Close, settings.OnClientError);
    }

    [Theory]
    [InlineData("url", "", "plugins.HttpBridge.settings.url is required")]
    [InlineData("url", "ftp://files.test/x", "plugins.HttpBridge.settings.url='ftp://files.test/x'")]
    [InlineData("url", "http://a.test:1,", "plugins.HttpBridge.settings.url=''")]
    [InlineData("url", "http://a.test/x?token=1", "plugins.HttpBridge.settings.url='http://a.test/x?token=1'")]
    [InlineData("url", "backend:8080", "plugins.HttpBridge.settings.url='backend:8080'")]
    [InlineData("max-in-flight", "0", "plugins.HttpBridge.settings.max-in-flight='0': expected an integer from 1 to 64")]
    [InlineData("max-in-flight", "65", "plugins.HttpBridge.settings.max-in-flight='65'")]
    [InlineData("timeout", "x", "plugins.HttpBridge.settings.timeout='x': expected a duration")]
    [InlineData("timeout", "0s", "plugins.HttpBridge.settings.timeout='0s'")]
    [InlineData("open-method", "POST", "plugins.HttpBridge.settings.open-method='POST': expected HEAD, GET or none")]
    [InlineData("max-response-bytes", "-1", "plugins.HttpBridge.settings.max-response-bytes='-1'")]
    [InlineData("on-client-error", "ignore", "plugins.HttpBridge.settings.on-client-error='ignore': expected reply or close")]
    [InlineData("text-content-type", "not a type", "plugins.HttpBridge.settings.text-content-type='not a type'")]
    [InlineData("timout", "5s", "plugins.HttpBridge.settings.timout: unknown setting")]
    public void Constructor_BadSetting_ThrowsNamingTheKey(string key, string value, string expected)
    {
        var settings = new List<(string, string)> { (key, value) };
        if (key != "url")
        {
            settings.Add(("url", "http://127.0.0.1:9"));
        }

        var error = Assert.ThrowsAny<ArgumentException>(() => Dialers.Create([.. settings]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NoSettings_ThrowsUrlRequired()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Dialers.Create());

        Assert.StartsWith("plugins.HttpBridge.settings.url is required", error.Message, StringComparison.Ordinal);
    }
}

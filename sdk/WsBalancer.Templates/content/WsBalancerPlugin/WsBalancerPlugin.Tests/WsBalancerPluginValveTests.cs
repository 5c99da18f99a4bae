using WsBalancer.Sdk;

namespace WsBalancerPlugin.Tests;

public sealed class WsBalancerPluginValveTests
{
    [Theory]
    [InlineData("hello", "HELLO")]
    [InlineData("Grüezi, World 42!", "GRÜEZI, WORLD 42!")]
    public async Task BeforeTransmit_Text_UpperCased(string sent, string expected)
    {
        var valve = CreateValve(new Dictionary<string, string>());

        var passed = await valve.BeforeTransmitAsync(WsMessage.Text(sent));

        Assert.NotNull(passed);
        Assert.Equal(WsMessageType.Text, passed.Type);
        Assert.Equal(expected, passed.GetText());
    }

    [Fact]
    public async Task BeforeTransmit_Binary_PassedUnchanged()
    {
        var valve = CreateValve(new Dictionary<string, string>());
        var message = WsMessage.Binary("hello"u8.ToArray());

        var passed = await valve.BeforeTransmitAsync(message);

        Assert.Same(message, passed);
    }

    [Fact]
    public async Task AfterReceive_PrefixSet_PrependedToText()
    {
        var valve = CreateValve(new Dictionary<string, string> { [WsBalancerPluginValveProvider.PrefixKey] = "echo: " });

        var passed = await valve.AfterReceiveAsync(WsMessage.Text("HELLO"));

        Assert.NotNull(passed);
        Assert.Equal("echo: HELLO", passed.GetText());
    }

    [Fact]
    public async Task AfterReceive_NoPrefix_PassedUnchanged()
    {
        var valve = CreateValve(new Dictionary<string, string>());
        var message = WsMessage.Text("HELLO");

        var passed = await valve.AfterReceiveAsync(message);

        Assert.Same(message, passed);
    }

    [Fact]
    public async Task AfterReceive_Binary_PassedUnchangedDespitePrefix()
    {
        var valve = CreateValve(new Dictionary<string, string> { [WsBalancerPluginValveProvider.PrefixKey] = "echo: " });
        var message = WsMessage.Binary(new byte[] { 0, 1, 2 });

        var passed = await valve.AfterReceiveAsync(message);

        Assert.Same(message, passed);
    }

    [Fact]
    public async Task Constructor_KeyInOtherCase_PrefixStillRead()
    {
        var valve = CreateValve(new Dictionary<string, string> { ["Prefix"] = "> " });

        var passed = await valve.AfterReceiveAsync(WsMessage.Text("hi"));

        Assert.Equal("> hi", passed?.GetText());
    }

    [Fact]
    public void Constructor_PrefixTooLong_ThrowsNamingTheKey()
    {
        var settings = new Dictionary<string, string>
        {
            [WsBalancerPluginValveProvider.PrefixKey] = new('x', WsBalancerPluginValveProvider.MaxPrefixLength + 1),
        };

        var error = Assert.Throws<ArgumentException>(() => new WsBalancerPluginValveProvider(new TestPluginContext(settings)));

        Assert.Equal(
            $"plugins.WsBalancerPlugin.settings.prefix='{settings[WsBalancerPluginValveProvider.PrefixKey]}': expected at most 100 characters",
            error.Message);
    }

    [Fact]
    public void AddValves_EachSession_GetsItsOwnValve()
    {
        var provider = new WsBalancerPluginValveProvider(new TestPluginContext(new Dictionary<string, string>()));

        var first = Assert.Single(provider.AddValves(TestSession.Create(), []));
        var second = Assert.Single(provider.AddValves(TestSession.Create(), []));

        Assert.NotSame(first, second);
    }

    private static IMessageValve CreateValve(IReadOnlyDictionary<string, string> settings) =>
        Assert.Single(new WsBalancerPluginValveProvider(new TestPluginContext(settings)).AddValves(TestSession.Create(), []));
}

using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Plugins;

/// <summary>Replacing a plugin again and again under live traffic loses no message and leaks no load context.</summary>
public sealed class ReloadStormTests : IDisposable
{
    private const int Sessions = 100;
    private const int Replacements = 50;

    private readonly PluginSandbox _plugins = new();

    [Fact]
    public async Task Replace_50TimesWhile100SessionsTalk_EveryReplyArrivesInOrderOnItsPinnedVersionAndNothingLeaks()
    {
        var ct = TestContext.Current.CancellationToken;
        _plugins.Install("Shouter.V1", "Shouter");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, plugins: _plugins.Settings);
        using var stormOver = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Every session starts before the first replacement, so every one is pinned to 1.0.0.
        var clients = new List<ClientWebSocket>();
        for (var i = 0; i < Sessions; i++)
        {
            clients.Add(await balancer.ConnectAsync("/ws", ct));
        }

        await balancer.WaitForSessionsAsync(Sessions, ct);
        var talkers = clients.Select((client, i) => TalkAsync(client, $"s{i}", stormOver.Token, ct)).ToList();

        // Each round installs the other version, so the awaited one can only be the round's own load. (A load is
        // numbered when it is tried: one given up because the files changed meanwhile takes a number too.)
        var sequence = 1;
        for (var round = 1; round <= Replacements; round++)
        {
            var version = round % 2 == 1 ? "2.0.0" : "1.0.0";
            _plugins.Install(round % 2 == 1 ? "Shouter.V2" : "Shouter.V1", "Shouter");
            await PluginList.WaitAsync(balancer, "Shouter", r => r?.GetProperty("version").GetString() == version
                && balancer.Plugins.Current.Versions.Single().Sequence > sequence, ct);
            sequence = balancer.Plugins.Current.Versions.Single().Sequence;
        }

        await stormOver.CancelAsync();
        var exchanged = await Task.WhenAll(talkers);

        Assert.All(exchanged, count => Assert.True(count > 0, "a session exchanged no message during the storm"));
        await balancer.WaitForSessionsAsync(0, ct);
        var row = await PluginList.WaitAsync(balancer, "Shouter", r => r?.GetProperty("versions").GetArrayLength() == 0, ct);
        Assert.True(balancer.Plugins.Current.Versions.Single().Sequence >= Replacements + 1, "fewer loads than replacements");
        Assert.Equal("active", row!.Value.GetProperty("status").GetString());
    }

    /// <summary>
    /// Sends numbered messages one at a time until the storm is over and checks each reply: the same number, in
    /// order, tagged with the version the session started on (every session here starts on 1.0.0).
    /// </summary>
    private static async Task<int> TalkAsync(ClientWebSocket client, string name, CancellationToken stormOver, CancellationToken cancellationToken)
    {
        var count = 0;
        while (!stormOver.IsCancellationRequested || count == 0)
        {
            var text = $"{name}-{count}";
            await client.SendTextAsync(text, cancellationToken);
            Assert.Equal("[1.0.0] " + text, await client.ReceiveTextAsync(cancellationToken));
            count++;
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        return count;
    }

    public void Dispose() => _plugins.Dispose();
}

using WsBalancer.Plugins.Tests.Shared;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.RateLimit;

public sealed class RateLimitValveTests : IDisposable
{
    // One token per 1000 s: nothing comes back while a test runs, so counts are exact.
    private const string Slow = "0.001";

    private readonly RateLimitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData(1, 3)]
    [InlineData(5, 1)]
    [InlineData(50, 20)]
    public async Task BeforeTransmit_BurstPlusMore_ExactlyBurstPass(int burst, int extra)
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", burst.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));

        var passed = await RateLimitSandbox.SendAsync(valve, burst + extra);

        Assert.Equal(burst, passed);
        Assert.Equal(Enumerable.Repeat(("session", "drop"), extra), _sandbox.Excess);
        var drops = _sandbox.Log.Entries.Where(entry => entry.EventId == 3102).ToList();
        Assert.Equal(extra, drops.Count);
        Assert.All(drops, entry => Assert.Equal(LogLevel.Debug, entry.Level));
        Assert.Contains("Session s-1: a 8-byte message over the session limit was dropped.", drops[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeforeTransmit_DefaultBurst_OneSecondOfRate()
    {
        var provider = _sandbox.Open(("messages-per-second", "7.5"));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));

        // 8 = ⌈7.5⌉ messages at once; a ninth within the next 130 ms cannot have earned its token.
        Assert.Equal(8, await RateLimitSandbox.SendAsync(valve, 9));
    }

    [Fact]
    public async Task BeforeTransmit_AfterEmptying_TokensComeBackAtTheRate()
    {
        // The bucket refills on the limiter's own monotonic clock, so this test waits for real time: 5/s is one token
        // per 200 ms, slow enough that the emptying below cannot be overtaken and fast enough to keep the test short.
        var watch = Stopwatch.StartNew();
        var provider = _sandbox.Open(("messages-per-second", "5"), ("burst", "2"));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));
        Assert.Equal(2, await RateLimitSandbox.SendAsync(valve, 3));

        while (await RateLimitSandbox.SendAsync(valve, 1) == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _sandbox.Timeout);
        }

        // The bucket started full when the valve was created; two tokens out, one back takes 1 / 5 s.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(195), $"a token came back after {watch.Elapsed}");
    }

    [Fact]
    public async Task BeforeTransmit_SessionsOfOneAddress_ShareTheAddressLimit()
    {
        var provider = _sandbox.Open(("address-messages-per-second", Slow), ("address-burst", "3"));
        var first = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1", "203.0.113.5"));
        var second = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-2", "203.0.113.5"));
        var elsewhere = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-3", "192.0.2.99"));

        Assert.Equal(2, await RateLimitSandbox.SendAsync(first, 2));
        Assert.Equal(1, await RateLimitSandbox.SendAsync(second, 2));
        Assert.Equal(0, await RateLimitSandbox.SendAsync(first, 1));

        Assert.Equal(3, await RateLimitSandbox.SendAsync(elsewhere, 3));
        Assert.Equal([("address", "drop"), ("address", "drop")], _sandbox.Excess);
        Assert.Equal(2, provider.TrackedAddresses);
    }

    [Fact]
    public async Task BeforeTransmit_SessionsWithoutAddress_ShareOnePartition()
    {
        var provider = _sandbox.Open(("address-messages-per-second", Slow), ("address-burst", "2"));
        var first = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1", address: null));
        var second = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-2", address: null));

        Assert.Equal(2, await RateLimitSandbox.SendAsync(first, 2));
        Assert.Equal(0, await RateLimitSandbox.SendAsync(second, 1));
        Assert.Equal(0, provider.TrackedAddresses);
    }

    [Fact]
    public async Task BeforeTransmit_AddressLimitOff_OnlySessionLimitApplies()
    {
        var provider = _sandbox.Open(("address-messages-per-second", "0"), ("messages-per-second", Slow), ("burst", "4"));
        var valves = Enumerable.Range(0, 5).Select(i => RateLimitSandbox.Valve(provider, RateLimitSandbox.Client($"s-{i}"))).ToList();

        foreach (var valve in valves)
        {
            Assert.Equal(4, await RateLimitSandbox.SendAsync(valve, 5));
        }

        Assert.Equal(0, provider.TrackedAddresses);
        Assert.All(_sandbox.Excess, excess => Assert.Equal(("session", "drop"), excess));
    }

    [Fact]
    public async Task BeforeTransmit_OnExcessClose_ClosesOnceWith1008AndDropsTheRest()
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", "2"), ("on-excess", "close"));
        var frontend = RateLimitSandbox.Client("s-1");
        var valve = RateLimitSandbox.Valve(provider, frontend);

        Assert.Equal(2, await RateLimitSandbox.SendAsync(valve, 6));

        Assert.Equal([(1008, "rate limit exceeded")], frontend.Closes);
        Assert.Equal([("session", "close")], _sandbox.Excess);
        Assert.Single(_sandbox.Log.Entries, entry => entry.EventId == 3103);
    }

    [Fact]
    public async Task BeforeTransmit_OnExcessCloseWithoutSessionControl_Drops()
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", "1"), ("on-excess", "close"));
        var valve = RateLimitSandbox.Valve(provider, new FixedFrontend { Id = "s-1", RemoteAddress = "198.51.100.7" });

        Assert.Equal(1, await RateLimitSandbox.SendAsync(valve, 3));
        Assert.Equal([("session", "drop"), ("session", "drop")], _sandbox.Excess);
    }

    [Fact]
    public async Task BeforeTransmit_MessageOverMaxBytes_DroppedWithoutTakingAToken()
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", "2"), ("max-message-bytes", "1KiB"));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));

        Assert.Equal(0, await RateLimitSandbox.SendAsync(valve, 3, size: 1025));
        Assert.Equal(2, await RateLimitSandbox.SendAsync(valve, 2, size: 1024));
        Assert.Equal(Enumerable.Repeat(("size", "drop"), 3), _sandbox.Excess);
    }

    [Fact]
    public async Task BeforeTransmit_OversizedWithOnExcessClose_ClosesWithMessageTooBig()
    {
        var provider = _sandbox.Open(("max-message-bytes", "100"), ("on-excess", "close"));
        var frontend = RateLimitSandbox.Client("s-1");
        var valve = RateLimitSandbox.Valve(provider, frontend);

        Assert.Equal(1, await RateLimitSandbox.SendAsync(valve, 1, size: 100));
        Assert.Equal(0, await RateLimitSandbox.SendAsync(valve, 1, size: 101));
        Assert.Equal(0, await RateLimitSandbox.SendAsync(valve, 1, size: 10));

        Assert.Equal([(1008, "message too big")], frontend.Closes);
        Assert.Equal([("size", "close")], _sandbox.Excess);
    }

    [Fact]
    public async Task AfterReceive_DirectionClient_PassesUntouchedAndTakesNoToken()
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", "2"), ("max-message-bytes", "1"));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));

        Assert.Equal(10, await RateLimitSandbox.ReceiveAsync(valve, 10));
        Assert.Equal(2, await RateLimitSandbox.SendAsync(valve, 2, size: 1));
        Assert.Empty(_sandbox.Excess);
    }

    [Fact]
    public async Task AfterReceive_DirectionBoth_CountedWithClientMessages()
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", "3"), ("direction", "both"));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));

        Assert.Equal(2, await RateLimitSandbox.ReceiveAsync(valve, 2));
        Assert.Equal(1, await RateLimitSandbox.SendAsync(valve, 2));
        Assert.Equal(0, await RateLimitSandbox.ReceiveAsync(valve, 1));
        Assert.Equal(2, _sandbox.Excess.Count);
    }

    [Theory]
    [InlineData(WsMessageType.Ping)]
    [InlineData(WsMessageType.Pong)]
    [InlineData(WsMessageType.Close)]
    [InlineData(WsMessageType.RemoteConnectionNormalClosure)]
    [InlineData(WsMessageType.RemoteConnectionAbnormalClosure)]
    public async Task Valve_ControlMessages_PassUntouchedBeyondEveryLimit(WsMessageType type)
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", "1"), ("max-message-bytes", "1"), ("direction", "both"));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));

        for (var i = 0; i < 5; i++)
        {
            var message = new WsMessage(type, new byte[16]);
            Assert.Same(message, await valve.BeforeTransmitAsync(message));
            Assert.Same(message, await valve.AfterReceiveAsync(message));
        }

        Assert.Equal(1, await RateLimitSandbox.SendAsync(valve, 2, size: 1));
    }

    [Fact]
    public async Task AddValves_AfterFailover_AddressBucketCarriesOver()
    {
        var provider = _sandbox.Open(("address-messages-per-second", Slow), ("address-burst", "3"));
        var frontend = RateLimitSandbox.Client("s-1");
        Assert.Equal(2, await RateLimitSandbox.SendAsync(RateLimitSandbox.Valve(provider, frontend), 2));

        var afterFailover = Assert.Single(provider.AddValves(new ProxySession(frontend, new NamedBackend("b2")), []));

        Assert.Equal(1, await RateLimitSandbox.SendAsync(afterFailover, 3));
    }
}

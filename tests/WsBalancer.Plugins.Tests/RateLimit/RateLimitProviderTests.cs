using WsBalancer.Plugins.Tests.Shared;
using Microsoft.Extensions.Logging;
using WsBalancer.Plugins.RateLimit;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.RateLimit;

public sealed class RateLimitProviderTests : IDisposable
{
    private const string Slow = "0.001";

    private readonly RateLimitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task AddValves_BeyondMaxAddressesNoneIdle_NewAddressesShareOneLimitAndWarn()
    {
        var provider = _sandbox.Open(("address-messages-per-second", Slow), ("address-burst", "2"), ("max-addresses", "2"));
        var a = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("a", "192.0.2.1"));
        var b = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("b", "192.0.2.2"));
        Assert.Equal(1, await RateLimitSandbox.SendAsync(a, 1));
        Assert.Equal(1, await RateLimitSandbox.SendAsync(b, 1));

        // a and b are busy (their buckets are not full): c and d find no room and share one bucket.
        var c = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("c", "192.0.2.3"));
        var d = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("d", "192.0.2.4"));
        Assert.Equal(2, await RateLimitSandbox.SendAsync(c, 2));
        Assert.Equal(0, await RateLimitSandbox.SendAsync(d, 1));
        Assert.Equal(1, await RateLimitSandbox.SendAsync(a, 1));
        Assert.Equal(2, provider.TrackedAddresses);

        var first = Assert.Single(_sandbox.Log.Entries, entry => entry.EventId == 3104);
        Assert.Equal(LogLevel.Warning, first.Level);
        Assert.Contains("at most 2 addresses and none is idle: 1 sessions", first.Message, StringComparison.Ordinal);
        _sandbox.Time.Advance(TimeSpan.FromSeconds(10));
        RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("e", "192.0.2.5"));
        var reports = _sandbox.Log.Entries.Where(entry => entry.EventId == 3104).ToList();
        Assert.Equal(2, reports.Count);
        Assert.Contains(": 2 sessions", reports[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddValves_TableFullOfIdleAddresses_IdleOnesForgotten()
    {
        var provider = _sandbox.Open(("address-messages-per-second", Slow), ("address-burst", "2"), ("max-addresses", "1"));
        var quiet = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("quiet", "192.0.2.1"));

        // The quiet address never sent anything: its bucket is full, so it makes room for the next address.
        var busy = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("busy", "192.0.2.2"));
        Assert.Equal(1, provider.TrackedAddresses);
        Assert.Contains(_sandbox.Log.Entries, entry => entry.EventId == 3105 && entry.Message.Contains("forgot 1 idle", StringComparison.Ordinal));
        Assert.DoesNotContain(_sandbox.Log.Entries, entry => entry.EventId == 3104);
        Assert.Equal(2, await RateLimitSandbox.SendAsync(busy, 3));

        // The quiet session sees its partition was forgotten and looks its address up again: the table holds the busy
        // address, so it gets the shared bucket (and a warning), not busy's and not its forgotten one.
        Assert.Equal(2, await RateLimitSandbox.SendAsync(quiet, 3));
        Assert.Single(_sandbox.Log.Entries, entry => entry.EventId == 3104);
        Assert.Equal(1, provider.TrackedAddresses);
    }

    [Fact]
    public void AddValves_TableFull_SweepsAtMostOncePerSecond()
    {
        var provider = _sandbox.Open(("address-messages-per-second", Slow), ("max-addresses", "1"));
        RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("a", "192.0.2.1"));
        RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("b", "192.0.2.2"));
        Assert.Single(_sandbox.Log.Entries, entry => entry.EventId == 3105);

        // b is as idle as a was, but a second sweep within the second is not made: c shares the overflow bucket.
        RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("c", "192.0.2.3"));
        Assert.Single(_sandbox.Log.Entries, entry => entry.EventId == 3105);
        Assert.Single(_sandbox.Log.Entries, entry => entry.EventId == 3104);

        _sandbox.Time.Advance(AddressLimiters.SweepInterval);
        RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("d", "192.0.2.4"));
        Assert.Equal(2, _sandbox.Log.Entries.Count(entry => entry.EventId == 3105));
        Assert.Equal(1, provider.TrackedAddresses);
    }

    [Fact]
    public async Task Dispose_MeterEndsAndValvesLetEverythingPass()
    {
        var provider = _sandbox.Open(("messages-per-second", Slow), ("burst", "1"));
        var valve = RateLimitSandbox.Valve(provider, RateLimitSandbox.Client("s-1"));
        Assert.Equal(1, await RateLimitSandbox.SendAsync(valve, 2));
        Assert.Empty(_sandbox.CompletedInstruments);

        provider.Dispose();

        Assert.Equal([RateLimitMetrics.ExcessCounterName], _sandbox.CompletedInstruments);
        Assert.Equal(3, await RateLimitSandbox.SendAsync(valve, 3));
        Assert.Empty(provider.AddValves(new ProxySession(RateLimitSandbox.Client("s-2"), new NamedBackend("b1")), []));
        provider.Dispose();
    }

    [Fact]
    public void Read_NoSettings_Defaults()
    {
        Assert.Equal(
            new RateLimitSettings
            {
                MessagesPerSecond = 100,
                Burst = 100,
                AddressMessagesPerSecond = 1000,
                AddressBurst = 1000,
                MaxMessageBytes = 0,
                Direction = LimitedDirection.Client,
                OnExcess = ExcessAction.Drop,
                MaxAddresses = 100_000,
            },
            RateLimitSettings.Read("RateLimit", new Dictionary<string, string>()));
    }

    [Fact]
    public void Read_EverySetting_Parsed()
    {
        var settings = RateLimitSettings.Read("RateLimit", new Dictionary<string, string>
        {
            ["messages-per-second"] = "2.5",
            ["address-messages-per-second"] = "40",
            ["max-message-bytes"] = "64 KiB",
            ["direction"] = "Both",
            ["on-excess"] = "CLOSE",
            ["max-addresses"] = "500",
        });

        Assert.Equal(
            new RateLimitSettings
            {
                MessagesPerSecond = 2.5,
                Burst = 3,
                AddressMessagesPerSecond = 40,
                AddressBurst = 40,
                MaxMessageBytes = 65_536,
                Direction = LimitedDirection.Both,
                OnExcess = ExcessAction.Close,
                MaxAddresses = 500,
            },
            settings);
    }

    [Theory]
    [InlineData("messages-per-second", "0", "expected a number greater than 0 and at most 10000000")]
    [InlineData("messages-per-second", "fast", "expected a number greater than 0 and at most 10000000")]
    [InlineData("messages-per-second", "1e3", "expected a number greater than 0 and at most 10000000")]
    [InlineData("burst", "x", "expected an integer from 1 to 10000000")]
    [InlineData("burst", "0", "expected an integer from 1 to 10000000")]
    [InlineData("address-messages-per-second", "-1", "expected a number from 0 (off) to 10000000")]
    [InlineData("address-burst", "2.5", "expected an integer from 1 to 10000000")]
    [InlineData("max-message-bytes", "2GiB", "expected a size in bytes from 0 to 1073741824")]
    [InlineData("max-message-bytes", "-1", "expected a size in bytes from 0 to 1073741824")]
    [InlineData("max-message-bytes", "lots", "expected a size in bytes from 0 to 1073741824")]
    [InlineData("direction", "server", "expected one of client, both")]
    [InlineData("on-excess", "ban", "expected one of drop, close")]
    [InlineData("max-addresses", "0", "expected an integer from 1 to 10000000")]
    public void Constructor_BadSetting_ThrowsNamingKeyValueAndExpectation(string key, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => _sandbox.Open((key, value)));

        Assert.StartsWith($"plugins.RateLimit.settings.{key}='{value}': {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_UnknownSetting_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => _sandbox.Open(("messages_per_second", "5")));

        Assert.StartsWith("plugins.RateLimit.settings.messages_per_second: unknown setting; expected one of address-burst,", error.Message, StringComparison.Ordinal);
    }
}

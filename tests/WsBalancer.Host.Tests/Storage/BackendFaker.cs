using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Storage;

/// <summary>Random but reproducible backend settings, every field set away from its default.</summary>
internal sealed class BackendFaker(int seed)
{
    private readonly Faker _faker = new() { Random = new Randomizer(seed) };
    private int _serial;

    public BackendSettings Next(string? id = null)
    {
        // The serial keeps URLs distinct whatever the random parts come out as.
        var serial = ++_serial;
        return new BackendSettings
        {
            Id = id ?? $"{_faker.Internet.DomainWord()}-{serial}",
            Url = new Uri($"ws://{_faker.Internet.DomainName()}:{_faker.Random.Int(1024, 65535)}/{_faker.Random.AlphaNumeric(5)}/{serial}"),
            PingTime = TimeSpan.FromTicks(_faker.Random.Long(1, TimeSpan.TicksPerHour)), // sub-millisecond, as Go durations allow
            HandshakeTimeout = TimeSpan.FromMilliseconds(_faker.Random.Int(1, 60_000)) + TimeSpan.FromTicks(_faker.Random.Int(1, 9_999)),
            BreakerThreshold = _faker.Random.Int(-5, 50),
            PassHeaders = [.. _faker.Make(_faker.Random.Int(1, 3), () => "X-" + _faker.Random.AlphaNumeric(6))],
            AbnormalCloseCodes = [.. _faker.Make(_faker.Random.Int(1, 4), () => _faker.Random.Int(1000, 4999))],
            ReadBufferSize = _faker.Random.Int(1, 65_536),
            WriteBufferSize = _faker.Random.Int(1, 65_536),
        };
    }

    /// <summary>The same backend with every setting changed.</summary>
    public BackendSettings Changed(BackendSettings settings)
    {
        var other = Next(settings.Id);
        return other with { BreakerThreshold = settings.BreakerThreshold + 1 };
    }

    public static void AssertSame(BackendSettings expected, BackendSettings actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Url.OriginalString, actual.Url.OriginalString);
        Assert.Equal(expected.Url, actual.Url);
        Assert.Equal(expected.PingTime, actual.PingTime);
        Assert.Equal(expected.HandshakeTimeout, actual.HandshakeTimeout);
        Assert.Equal(expected.BreakerThreshold, actual.BreakerThreshold);
        Assert.Equal(expected.PassHeaders, actual.PassHeaders);
        Assert.Equal(expected.AbnormalCloseCodes, actual.AbnormalCloseCodes);
        Assert.Equal(expected.ReadBufferSize, actual.ReadBufferSize);
        Assert.Equal(expected.WriteBufferSize, actual.WriteBufferSize);
    }
}

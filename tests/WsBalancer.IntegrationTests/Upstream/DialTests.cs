using Bogus;

namespace WsBalancer.IntegrationTests.Upstream;

public sealed class DialTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task Dial_OneOfTwoBackendsStopped_EverySessionLandsOnLiveOne()
    {
        var ct = TestContext.Current.CancellationToken;
        var dead = await BackendGroup.StoppedAsync("dead", ct);
        await using var live = await TestBackend.StartAsync("live", ct);
        await using var balancer = await TestBalancer.StartAsync([dead, live], ct);
        var failures = new List<long>();

        for (var i = 0; i < 6; i++)
        {
            var client = await balancer.ConnectAsync($"/{_faker.Random.AlphaNumeric(8)}", ct);
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
            failures.Add((await balancer.BackendAsync("dead", ct)).TotalFailures);
        }

        // Six dials start alternately at each backend; the three that start at the dead one try it once, then the live one.
        Assert.Equal(failures.Order(), failures);
        Assert.Equal(3, failures[^1]);
        var deadRow = await balancer.BackendAsync("dead", ct);
        var liveRow = await balancer.BackendAsync("live", ct);
        Assert.Equal(0, deadRow.TotalConnections);
        Assert.False(deadRow.Tripped); // 3 failures, under the default threshold of 10
        Assert.Equal(6, liveRow.TotalConnections);
        Assert.Equal(0, liveRow.TotalFailures);
        await live.WaitForConnectionsAsync(6, ct);
    }

    [Fact]
    public async Task Dial_AllBackendsStopped_EachTriedExactlyOnceThen502()
    {
        var ct = TestContext.Current.CancellationToken;
        var dead1 = await BackendGroup.StoppedAsync("dead1", ct);
        var dead2 = await BackendGroup.StoppedAsync("dead2", ct);
        await using var balancer = await TestBalancer.StartAsync([dead1, dead2], ct, backend: b => b with { BreakerThreshold = 0 });

        for (var dial = 1; dial <= 4; dial++)
        {
            var status = await balancer.HandshakeStatusAsync($"/{_faker.Random.AlphaNumeric(8)}", ct);

            Assert.Equal(502, status);
            Assert.Equal(dial, (await balancer.BackendAsync("dead1", ct)).TotalFailures);
            Assert.Equal(dial, (await balancer.BackendAsync("dead2", ct)).TotalFailures);
        }
    }

    [Fact]
    public async Task Dial_StoppedBackendDisabled_NeverTried()
    {
        var ct = TestContext.Current.CancellationToken;
        var dead = await BackendGroup.StoppedAsync("dead", ct);
        await using var live = await TestBackend.StartAsync("live", ct);
        await using var balancer = await TestBalancer.StartAsync([dead, live], ct);
        await balancer.PostAsync("/backend/disable/dead", ct);

        for (var i = 0; i < 4; i++)
        {
            var client = await balancer.ConnectAsync($"/{_faker.Random.AlphaNumeric(8)}", ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        }

        Assert.Equal(0, (await balancer.BackendAsync("dead", ct)).TotalFailures);
        Assert.Equal(4, (await balancer.BackendAsync("live", ct)).TotalConnections);
    }
}

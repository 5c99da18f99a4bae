using Bogus;

namespace WsBalancer.IntegrationTests.Upstream;

public sealed class RoundRobinTests
{
    private const string Success = """{"result":"success"}""";
    private const string NoActionRequired = """{"result":"success","reason":"NoActionRequired"}""";

    private readonly Faker _faker = new();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Dial_SequentialSessions_EachDialStartsAtNextBackend(int count)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await BackendGroup.StartAsync(count, ct);
        await using var balancer = await TestBalancer.StartAsync(backends.All, ct);
        var landedOn = new List<string>();

        for (var i = 0; i < 4 * count; i++)
        {
            var before = await TotalsAsync(balancer, backends.All, ct);
            var client = await balancer.ConnectAsync(Path(), ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
            var after = await TotalsAsync(balancer, backends.All, ct);
            landedOn.Add(Assert.Single(after, row => row.Value == before[row.Key] + 1).Key);
        }

        Assert.Equal(count, landedOn.Take(count).Distinct().Count());
        for (var i = count; i < landedOn.Count; i++)
        {
            Assert.Equal(landedOn[i - count], landedOn[i]); // a strict cycle: the cursor moves one backend per dial
        }

        foreach (var backend in backends.All)
        {
            await backend.WaitForConnectionsAsync(4, ct);
            Assert.Equal(4, backend.Connections.Count);
            Assert.Equal(4, (await balancer.BackendAsync(backend.Name, ct)).TotalConnections);
        }
    }

    [Fact]
    public async Task DisableBackend_SessionsOpenedWhileDisabled_NoneReachItUntilEnabled()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await BackendGroup.StartAsync(3, ct);
        await using var balancer = await TestBalancer.StartAsync(backends.All, ct);
        var (b1, b2, b3) = (backends[0], backends[1], backends[2]);

        var disabled = await balancer.PostAsync("/backend/disable/b2", ct);
        Assert.Equal(Success, disabled.GetRawText());
        Assert.False((await balancer.BackendAsync("b2", ct)).Enabled);
        for (var i = 0; i < 6; i++)
        {
            var client = await balancer.ConnectAsync(Path(), ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        }

        Assert.Equal(0, (await balancer.BackendAsync("b2", ct)).TotalConnections);
        Assert.Empty(b2.Connections);
        var shared = new[] { await balancer.BackendAsync("b1", ct), await balancer.BackendAsync("b3", ct) };
        Assert.Equal(6, shared.Sum(row => row.TotalConnections));
        Assert.All(shared, row => Assert.True(row.TotalConnections > 0, $"{row.Id} got no session"));

        var enabled = await balancer.PostAsync("/backend/enable/b2", ct);
        Assert.Equal(Success, enabled.GetRawText());
        Assert.True((await balancer.BackendAsync("b2", ct)).Enabled);
        for (var i = 0; i < 3; i++)
        {
            var client = await balancer.ConnectAsync(Path(), ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        }

        // Three dials over three enabled backends: one each, b2 included again.
        Assert.Equal(1, (await balancer.BackendAsync("b2", ct)).TotalConnections);
        await b2.WaitForConnectionsAsync(1, ct);
        Assert.Equal(9, b1.Connections.Count + b3.Connections.Count + b2.Connections.Count);
    }

    /// <summary>
    /// DESIGN.md: "Round robin over enabled backends". The ancestor takes a disabled backend out of the rotation,
    /// so the remaining ones share the sessions evenly instead of the disabled one's successor taking its turn too.
    /// </summary>
    [Fact]
    public async Task DisableBackend_OneOfThree_RemainingTwoShareSessionsEvenly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await BackendGroup.StartAsync(3, ct);
        await using var balancer = await TestBalancer.StartAsync(backends.All, ct);
        await balancer.PostAsync("/backend/disable/b2", ct);

        for (var i = 0; i < 6; i++)
        {
            var client = await balancer.ConnectAsync(Path(), ct);
            await client.AssertEchoAsync(_faker.Lorem.Word(), ct);
        }

        var b1 = await balancer.BackendAsync("b1", ct);
        var b3 = await balancer.BackendAsync("b3", ct);
        Assert.Equal((3L, 3L), (b1.TotalConnections, b3.TotalConnections));
    }

    [Fact]
    public async Task DisableEnableBackend_Twice_SecondRepliesNoActionRequired()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backends = await BackendGroup.StartAsync(2, ct);
        await using var balancer = await TestBalancer.StartAsync(backends.All, ct);

        var firstDisable = await balancer.PostAsync("/backend/disable/b1", ct);
        using var secondDisable = await balancer.Admin.PostAsync("/backend/disable/b1", null, ct);
        var secondDisableBody = await secondDisable.Content.ReadAsStringAsync(ct);
        var firstEnable = await balancer.PostAsync("/backend/enable/b1", ct);
        var secondEnable = await balancer.PostAsync("/backend/enable/b1", ct);

        Assert.Equal(Success, firstDisable.GetRawText());
        Assert.Equal(System.Net.HttpStatusCode.OK, secondDisable.StatusCode);
        Assert.Equal(NoActionRequired, secondDisableBody);
        Assert.Equal(Success, firstEnable.GetRawText());
        Assert.Equal(NoActionRequired, secondEnable.GetRawText());
        Assert.True((await balancer.BackendAsync("b1", ct)).Enabled);
    }

    private string Path() => $"/{_faker.Internet.DomainWord()}/{_faker.Random.AlphaNumeric(6)}?n={_faker.Random.Int(0, 999)}";

    private static async Task<Dictionary<string, long>> TotalsAsync(TestBalancer balancer, IReadOnlyList<TestBackend> backends, CancellationToken cancellationToken)
    {
        var totals = new Dictionary<string, long>();
        foreach (var backend in backends)
        {
            totals[backend.Name] = (await balancer.BackendAsync(backend.Name, cancellationToken)).TotalConnections;
        }

        return totals;
    }
}

using System.Net.Http.Json;
using Bogus;

namespace WsBalancer.IntegrationTests.Upstream;

/// <summary>Operators' scripts run in parallel: admin calls racing each other must leave a consistent state.</summary>
public sealed class ConcurrentAdminTests
{
    [Fact]
    public async Task ParallelAddsSwitchesAndDeletes_EndInAConsistentList()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var faker = new Faker();
        var ids = Enumerable.Range(0, 24).Select(i => $"api-{i}").ToArray();

        // Each id is added twice at once with different URLs (exactly one may win), then switched and half of them deleted, all in parallel.
        var adds = ids.SelectMany(id => Enumerable.Repeat(id, 2)).Select(async id =>
        {
            using var response = await balancer.Admin.PostAsJsonAsync(
                "/backend/add", new Dictionary<string, object> { ["url"] = $"ws://127.0.0.1:9/{faker.Internet.DomainWord()}/{id}", ["id"] = id }, ct);
            return (id, ok: response.IsSuccessStatusCode);
        });
        var added = await Task.WhenAll(adds);
        await Task.WhenAll(ids.Select(id => balancer.PostAsync($"/backend/disable/{id}", ct)));
        await Task.WhenAll(ids.Where((_, i) => i % 2 == 0).Select(id => balancer.PostAsync($"/backend/delete/{id}", ct)));
        await Task.WhenAll(ids.Where((_, i) => i % 2 == 1).Select(id => balancer.PostAsync($"/backend/enable/{id}", ct)));

        Assert.All(ids, id => Assert.Single(added, a => a.id == id && a.ok));
        var list = (await balancer.GetJsonAsync("/backend/list", ct)).EnumerateArray().ToArray();
        var listed = list.Select(b => b.GetProperty("id").GetString()).ToArray();
        Assert.Equal(listed.Length, listed.Distinct().Count());
        Assert.Equal(ids.Where((_, i) => i % 2 == 1).Append("b1").Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.All(list, b => Assert.True(b.GetProperty("enabled").GetBoolean()));
        await (await balancer.ConnectAsync("/still-works", ct)).AssertEchoAsync("ok", ct);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WsBalancer.IntegrationTests.Upstream;

public sealed class BackendAdminTests
{
    [Theory]
    [InlineData("reset")]
    [InlineData("enable")]
    public async Task BackendAction_UnknownId_FailedWithReasonAnd404(string action)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);

        using var response = await balancer.Admin.PostAsync($"/backend/{action}/nope", null, ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("failed", body.GetProperty("result").GetString());
        Assert.Contains("nope", body.GetProperty("reason").GetString());
        var row = await balancer.BackendAsync("b1", ct); // nothing else was touched
        Assert.True(row.Enabled);
        Assert.False(row.Tripped);
    }
}

using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Metrics;

namespace WsBalancer.Host.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task MapPrometheusMetrics_Get_ServesTextFormatOfThisHost()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(new ServerSettings());
        builder.Services.AddBalancerMetrics();
        await using var app = builder.Build();
        app.MapPrometheusMetrics();
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var metrics = app.Services.GetRequiredService<BalancerMetrics>();
        metrics.SessionStarted("fe", "b1");
        metrics.ObserveActiveSessions(() => 1);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri(new Uri(address), "/metrics"), ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("\nwsbalancer_new_session{backend=\"b1\",frontend=\"fe\"} 1\n", body, StringComparison.Ordinal);
        Assert.Contains("\nwsbalancer_active_sessions 1\n", body, StringComparison.Ordinal);
        await app.StopAsync(ct);
    }
}

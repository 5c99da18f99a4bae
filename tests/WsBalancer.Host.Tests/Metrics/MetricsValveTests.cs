using WsBalancer.Host.Metrics;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Metrics;

public sealed class MetricsValveTests
{
    private static ProxySession Session(string id) => new(MetricsTestHost.Client(id), MetricsTestHost.Backend("b1"));

    [Fact]
    public void AddValves_InstrumentationOff_AddsNoValve()
    {
        using var host = new MetricsTestHost(enableInstrumentation: false);

        Assert.Empty(host.ValveProvider.AddValves(Session("s1"), []));
    }

    [Fact]
    public void AddValves_InstrumentationOn_AddsOneSharedMetricsValve()
    {
        using var host = new MetricsTestHost(enableInstrumentation: true);

        var first = host.ValveProvider.AddValves(Session("s1"), []);
        var second = host.ValveProvider.AddValves(Session("s2"), []);

        Assert.IsType<MetricsValve>(Assert.Single(first));
        Assert.Same(first[0], Assert.Single(second));
    }

    [Fact]
    public async Task BeforeTransmitAndAfterReceive_DataMessages_PassSameInstanceAndRecordEachDirection()
    {
        using var host = new MetricsTestHost(enableInstrumentation: true);
        var valve = Assert.Single(host.ValveProvider.AddValves(Session("s1"), []));
        var toBackend = WsMessage.Text("hello");
        var toClient = WsMessage.Binary(new byte[300]);

        Assert.Same(toBackend, await valve.BeforeTransmitAsync(toBackend));
        Assert.Same(toClient, await valve.AfterReceiveAsync(toClient));
        var scrape = await host.ScrapeAsync();

        Assert.Contains("wsbalancer_message_size_sum{direction=\"f2b\"} 5", scrape, StringComparison.Ordinal);
        Assert.Contains("wsbalancer_message_size_sum{direction=\"b2f\"} 300", scrape, StringComparison.Ordinal);
        Assert.Contains("wsbalancer_message_size_bucket{direction=\"b2f\",le=\"256\"} 0", scrape, StringComparison.Ordinal);
        Assert.Contains("wsbalancer_message_size_bucket{direction=\"b2f\",le=\"512\"} 1", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BeforeTransmitAndAfterReceive_ClosureSignals_PassSameInstanceAndRecordNothing()
    {
        using var host = new MetricsTestHost(enableInstrumentation: true);
        var valve = new MetricsValve(host.Metrics);
        var normal = WsMessage.NormalClosure(1000, "bye");
        var abnormal = WsMessage.AbnormalClosure();

        Assert.Same(normal, await valve.BeforeTransmitAsync(normal));
        Assert.Same(abnormal, await valve.AfterReceiveAsync(abnormal));
        var scrape = await host.ScrapeAsync();

        Assert.DoesNotContain("wsbalancer_message_size", scrape, StringComparison.Ordinal);
    }
}

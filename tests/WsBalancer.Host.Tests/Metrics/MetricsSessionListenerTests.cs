using WsBalancer.Sdk;

namespace WsBalancer.Host.Tests.Metrics;

public sealed class MetricsSessionListenerTests
{
    [Fact]
    public async Task SessionCreated_FailoverOfOneClient_CountsOneNewSessionOnFirstBackend()
    {
        using var host = new MetricsTestHost();
        var client = MetricsTestHost.Client("s1");
        var first = new ProxySession(client, MetricsTestHost.Backend("b1"));
        var second = new ProxySession(client, MetricsTestHost.Backend("b2"));

        host.Listener.SessionCreated(first);
        host.Listener.SessionTerminated(first);
        host.Listener.SessionCreated(second);
        host.Listener.SessionTerminated(second);
        var scrape = await host.ScrapeAsync();

        Assert.Equal(["wsbalancer_new_session{backend=\"b1\",frontend=\"fe\"} 1"], MetricsTestHost.Samples(scrape, "wsbalancer_new_session"));
    }

    [Fact]
    public async Task SessionCreated_TwoClients_CountsTwoNewSessions()
    {
        using var host = new MetricsTestHost();

        host.Listener.SessionCreated(new ProxySession(MetricsTestHost.Client("s1", "fe"), MetricsTestHost.Backend("b1")));
        host.Listener.SessionCreated(new ProxySession(MetricsTestHost.Client("s2", "fe"), MetricsTestHost.Backend("b1")));
        host.Listener.SessionCreated(new ProxySession(MetricsTestHost.Client("s3", "fe2"), MetricsTestHost.Backend("b1")));
        var scrape = await host.ScrapeAsync();

        Assert.Equal(
            ["wsbalancer_new_session{backend=\"b1\",frontend=\"fe\"} 2", "wsbalancer_new_session{backend=\"b1\",frontend=\"fe2\"} 1"],
            MetricsTestHost.Samples(scrape, "wsbalancer_new_session").Order());
    }
}

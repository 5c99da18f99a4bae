using WsBalancer.Host.Metrics;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Tests.Metrics;

public sealed class BalancerMetricsTests
{
    [Fact]
    public async Task Scrape_NothingRecorded_ExposesOnlyBalancerSeries()
    {
        using var host = new MetricsTestHost();

        var scrape = await host.ScrapeAsync();

        Assert.DoesNotContain("process_", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet_", scrape, StringComparison.Ordinal);
        Assert.DoesNotContain("wsbalancer_message_size", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionStarted_TwoCalls_CountsPerFrontendAndBackend()
    {
        using var host = new MetricsTestHost();

        host.Metrics.SessionStarted("fe", "b1");
        host.Metrics.SessionStarted("fe", "b1");
        host.Metrics.SessionStarted("fe", "b2");
        var scrape = await host.ScrapeAsync();

        Assert.Equal(
            ["wsbalancer_new_session{backend=\"b1\",frontend=\"fe\"} 2", "wsbalancer_new_session{backend=\"b2\",frontend=\"fe\"} 1"],
            MetricsTestHost.Samples(scrape, "wsbalancer_new_session").Order());
    }

    [Fact]
    public async Task SessionEnded_Durations_FillExactBuckets()
    {
        using var host = new MetricsTestHost();

        host.Metrics.SessionEnded(TimeSpan.FromSeconds(0.5));
        host.Metrics.SessionEnded(TimeSpan.FromMinutes(2));
        host.Metrics.SessionEnded(TimeSpan.FromDays(2));
        var scrape = await host.ScrapeAsync();

        Assert.Equal(
            [
                "wsbalancer_session_duration_seconds_sum 172920.5",
                "wsbalancer_session_duration_seconds_count 3",
                "wsbalancer_session_duration_seconds_bucket{le=\"1\"} 1",
                "wsbalancer_session_duration_seconds_bucket{le=\"10\"} 1",
                "wsbalancer_session_duration_seconds_bucket{le=\"60\"} 1",
                "wsbalancer_session_duration_seconds_bucket{le=\"300\"} 2",
                "wsbalancer_session_duration_seconds_bucket{le=\"1800\"} 2",
                "wsbalancer_session_duration_seconds_bucket{le=\"3600\"} 2",
                "wsbalancer_session_duration_seconds_bucket{le=\"21600\"} 2",
                "wsbalancer_session_duration_seconds_bucket{le=\"86400\"} 2",
                "wsbalancer_session_duration_seconds_bucket{le=\"+Inf\"} 3",
            ],
            HistogramSamples(scrape, "wsbalancer_session_duration_seconds"));
    }

    [Fact]
    public async Task MessageSize_InstrumentationOff_RecordsNothing()
    {
        using var host = new MetricsTestHost(enableInstrumentation: false);

        host.Metrics.MessageSize(toBackend: true, 100);
        host.Metrics.MessageSize(toBackend: false, 100);
        var scrape = await host.ScrapeAsync();

        Assert.DoesNotContain("wsbalancer_message_size", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessageSize_InstrumentationOn_FillsExactBucketsPerDirection()
    {
        using var host = new MetricsTestHost(enableInstrumentation: true);

        host.Metrics.MessageSize(toBackend: true, 100);
        host.Metrics.MessageSize(toBackend: true, 1024);
        host.Metrics.MessageSize(toBackend: false, 6000);
        var scrape = await host.ScrapeAsync();

        Assert.Equal(
            [
                "wsbalancer_message_size_sum{direction=\"f2b\"} 1124",
                "wsbalancer_message_size_count{direction=\"f2b\"} 2",
                "wsbalancer_message_size_bucket{direction=\"f2b\",le=\"128\"} 1",
                "wsbalancer_message_size_bucket{direction=\"f2b\",le=\"256\"} 1",
                "wsbalancer_message_size_bucket{direction=\"f2b\",le=\"512\"} 1",
                "wsbalancer_message_size_bucket{direction=\"f2b\",le=\"1024\"} 2",
                "wsbalancer_message_size_bucket{direction=\"f2b\",le=\"2048\"} 2",
                "wsbalancer_message_size_bucket{direction=\"f2b\",le=\"5120\"} 2",
                "wsbalancer_message_size_bucket{direction=\"f2b\",le=\"+Inf\"} 2",
            ],
            HistogramSamples(scrape, "wsbalancer_message_size", "direction=\"f2b\""));
        Assert.Contains("wsbalancer_message_size_bucket{direction=\"b2f\",le=\"5120\"} 0", scrape, StringComparison.Ordinal);
        Assert.Contains("wsbalancer_message_size_bucket{direction=\"b2f\",le=\"+Inf\"} 1", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageSize_InstrumentationOn_DoesNotAllocate()
    {
        using var host = new MetricsTestHost(enableInstrumentation: true);
        var metrics = host.Metrics;
        metrics.MessageSize(toBackend: true, 10); // first use creates the series
        metrics.MessageSize(toBackend: false, 10);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            metrics.MessageSize(toBackend: (i & 1) == 0, i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task Failover_BothKinds_LabelledByBackendAndReason()
    {
        using var host = new MetricsTestHost();

        host.Metrics.Failover("b1", administrative: false);
        host.Metrics.Failover("b1", administrative: false);
        host.Metrics.Failover("b2", administrative: true);
        var scrape = await host.ScrapeAsync();

        Assert.Equal(
            [
                "wsbalancer_failovers_total{from_backend=\"b1\",reason=\"abnormal\"} 2",
                "wsbalancer_failovers_total{from_backend=\"b2\",reason=\"administrative\"} 1",
            ],
            MetricsTestHost.Samples(scrape, "wsbalancer_failovers_total").Order());
    }

    [Fact]
    public async Task DialFailed_EachReason_LabelledByBackendAndReason()
    {
        using var host = new MetricsTestHost();

        host.Metrics.DialFailed("b1", DialFailureReason.Unavailable);
        host.Metrics.DialFailed("b1", DialFailureReason.Declined);
        host.Metrics.DialFailed("b1", DialFailureReason.Timeout);
        host.Metrics.DialFailed("b2", DialFailureReason.CircuitOpen);
        host.Metrics.DialFailed("b2", DialFailureReason.CircuitOpen);
        var scrape = await host.ScrapeAsync();

        Assert.Equal(
            [
                "wsbalancer_dial_failures_total{backend=\"b1\",reason=\"declined\"} 1",
                "wsbalancer_dial_failures_total{backend=\"b1\",reason=\"timeout\"} 1",
                "wsbalancer_dial_failures_total{backend=\"b1\",reason=\"unavailable\"} 1",
                "wsbalancer_dial_failures_total{backend=\"b2\",reason=\"circuit_open\"} 2",
            ],
            MetricsTestHost.Samples(scrape, "wsbalancer_dial_failures_total").Order());
    }

    [Fact]
    public void DialFailed_UnknownReason_Throws()
    {
        using var host = new MetricsTestHost();

        Assert.Throws<ArgumentOutOfRangeException>(() => host.Metrics.DialFailed("b1", "connection refused by 10.0.0.7"));
    }

    [Fact]
    public async Task ValveDropped_NullAndError_LabelledByValveAndReason()
    {
        using var host = new MetricsTestHost();

        host.Metrics.ValveDropped("redact", error: false);
        host.Metrics.ValveDropped("redact", error: true);
        host.Metrics.ValveDropped("redact", error: true);
        var scrape = await host.ScrapeAsync();

        Assert.Equal(
            [
                "wsbalancer_valve_dropped_messages_total{reason=\"error\",valve=\"redact\"} 2",
                "wsbalancer_valve_dropped_messages_total{reason=\"null\",valve=\"redact\"} 1",
            ],
            MetricsTestHost.Samples(scrape, "wsbalancer_valve_dropped_messages_total").Order());
    }

    [Fact]
    public async Task ObserveCallbacks_Scrape_ReadsCurrentValues()
    {
        using var host = new MetricsTestHost();
        long active = 3;
        long pending = 7;
        (string, int)[] breakers = [("b1", BalancerMetrics.BreakerClosed), ("b2", BalancerMetrics.BreakerOpen)];
        host.Metrics.ObserveActiveSessions(() => active);
        host.Metrics.ObservePending(() => pending);
        host.Metrics.ObserveBreakers(() => breakers);

        var first = await host.ScrapeAsync();
        active = 1;
        pending = 0;
        breakers = [("b1", BalancerMetrics.BreakerHalfOpen), ("b2", BalancerMetrics.BreakerClosed)];
        var second = await host.ScrapeAsync();

        Assert.Equal(["wsbalancer_active_sessions 3"], MetricsTestHost.Samples(first, "wsbalancer_active_sessions"));
        Assert.Equal(["wsbalancer_pending_messages 7"], MetricsTestHost.Samples(first, "wsbalancer_pending_messages"));
        Assert.Equal(
            ["wsbalancer_backend_breaker_state{backend=\"b1\"} 0", "wsbalancer_backend_breaker_state{backend=\"b2\"} 2"],
            MetricsTestHost.Samples(first, "wsbalancer_backend_breaker_state").Order());
        Assert.Equal(["wsbalancer_active_sessions 1"], MetricsTestHost.Samples(second, "wsbalancer_active_sessions"));
        Assert.Equal(["wsbalancer_pending_messages 0"], MetricsTestHost.Samples(second, "wsbalancer_pending_messages"));
        Assert.Equal(
            ["wsbalancer_backend_breaker_state{backend=\"b1\"} 1", "wsbalancer_backend_breaker_state{backend=\"b2\"} 0"],
            MetricsTestHost.Samples(second, "wsbalancer_backend_breaker_state").Order());
    }

    [Theory]
    [InlineData(BreakerState.Closed, 0)]
    [InlineData(BreakerState.HalfOpen, 1)]
    [InlineData(BreakerState.Open, 2)]
    internal void BreakerValue_EachState_MapsToGaugeScale(BreakerState state, int expected)
    {
        Assert.Equal(expected, BalancerMetrics.BreakerValue(state));
    }

    [Fact]
    public async Task Record_TwoHostsInOneProcess_DoNotShareValues()
    {
        using var first = new MetricsTestHost(enableInstrumentation: true);
        using var second = new MetricsTestHost(enableInstrumentation: true);

        first.Metrics.SessionStarted("fe", "b1");
        first.Metrics.MessageSize(toBackend: true, 10);
        second.Metrics.SessionStarted("fe", "b1");
        second.Metrics.SessionStarted("fe", "b1");
        var firstScrape = await first.ScrapeAsync();
        var secondScrape = await second.ScrapeAsync();

        Assert.Equal(["wsbalancer_new_session{backend=\"b1\",frontend=\"fe\"} 1"], MetricsTestHost.Samples(firstScrape, "wsbalancer_new_session"));
        Assert.Equal(["wsbalancer_new_session{backend=\"b1\",frontend=\"fe\"} 2"], MetricsTestHost.Samples(secondScrape, "wsbalancer_new_session"));
        Assert.Contains("wsbalancer_message_size_count{direction=\"f2b\"} 1", firstScrape, StringComparison.Ordinal);
        Assert.DoesNotContain("wsbalancer_message_size", secondScrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_EverySeries_HasExactExposedName()
    {
        using var host = new MetricsTestHost(enableInstrumentation: true);
        host.Metrics.ObserveActiveSessions(() => 1);
        host.Metrics.ObservePending(() => 0);
        host.Metrics.ObserveBreakers(() => [("b1", BalancerMetrics.BreakerClosed)]);
        host.Metrics.SessionStarted("fe", "b1");
        host.Metrics.SessionEnded(TimeSpan.FromSeconds(5));
        host.Metrics.MessageSize(toBackend: true, 10);
        host.Metrics.Failover("b1", administrative: false);
        host.Metrics.DialFailed("b1", DialFailureReason.Timeout);
        host.Metrics.ValveDropped("v", error: false);
        var script = host.Metrics.Script("10-a.js");
        script.Call(0.0001);
        script.Outcome("modify");
        script.Failed("limit");

        var scrape = await host.ScrapeAsync();
        var families = new List<string>();
        foreach (var line in scrape.Split('\n'))
        {
            if (line.StartsWith("# TYPE wsbalancer_", StringComparison.Ordinal))
            {
                families.Add(line["# TYPE ".Length..]);
            }
        }

        // prometheus-net's adapter exports .NET counters as gauges (it cannot tell a re-created counter from a reset);
        // the per-script series are prometheus-net's own, so their counters are counters.
        Assert.Equal(
            [
                "wsbalancer_active_sessions gauge",
                "wsbalancer_backend_breaker_state gauge",
                "wsbalancer_dial_failures_total gauge",
                "wsbalancer_failovers_total gauge",
                "wsbalancer_message_size histogram",
                "wsbalancer_new_session gauge",
                "wsbalancer_pending_messages gauge",
                "wsbalancer_script_call_duration_seconds histogram",
                "wsbalancer_script_calls_total counter",
                "wsbalancer_script_errors_total counter",
                "wsbalancer_script_outcomes_total counter",
                "wsbalancer_session_duration_seconds histogram",
                "wsbalancer_valve_dropped_messages_total gauge",
            ],
            families.Order());
    }

    /// <summary>The sum, count and bucket lines of one histogram (optionally one label set), in the order written.</summary>
    private static List<string> HistogramSamples(string scrape, string histogram, string? label = null)
    {
        var lines = new List<string>();
        foreach (var suffix in new[] { "_sum", "_count", "_bucket" })
        {
            foreach (var line in MetricsTestHost.Samples(scrape, histogram + suffix))
            {
                if (label is null || line.Contains(label, StringComparison.Ordinal))
                {
                    lines.Add(line);
                }
            }
        }

        return lines;
    }
}

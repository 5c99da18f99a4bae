using System.Diagnostics.Metrics;
using Prometheus;

namespace WsBalancer.Host.Metrics;

/// <summary>A private prometheus-net registry fed by one meter's instruments, and nothing else.</summary>
/// <remarks>
/// No process-wide state is touched: the registry is not <c>Metrics.DefaultRegistry</c> (so no default process/.NET
/// collectors), and the adapter listens only to instruments of the given meter.
/// </remarks>
internal sealed class PrometheusExport : IDisposable
{
    // The adapter forgets a label set not updated for this long, and re-creates it from zero when it is next used
    // (observed gauges are refreshed by every scrape, so only idle counters and histograms are affected). Idle
    // backends are normal for a balancer, so keep series as long as prometheus-net allows: one day.
    private static readonly TimeSpan SeriesLifetime = TimeSpan.FromDays(1);

    private readonly IDisposable _adapter;

    public PrometheusExport(Meter meter, Func<Instrument, double[]> histogramBuckets)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            // The factory wins over Registry, and its default writes into the process-wide default registry.
            MetricFactory = Prometheus.Metrics.WithCustomRegistry(Registry),
            InstrumentFilterPredicate = instrument => ReferenceEquals(instrument.Meter, meter),
            ResolveHistogramBuckets = histogramBuckets,
            MetricsExpireAfter = SeriesLifetime,
        });
    }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _adapter.Dispose();
}

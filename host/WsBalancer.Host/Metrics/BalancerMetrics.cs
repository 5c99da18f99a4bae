using System.Diagnostics.Metrics;
using Prometheus;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Sessions;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Metrics;

/// <summary>
/// The balancer's instruments, on one <see cref="Meter"/> named <c>WsBalancer</c> per host, and the Prometheus
/// registry they are exported through. Recording is thread-safe and, once a label set exists, allocation-free.
/// </summary>
/// <remarks>
/// prometheus-net's <see cref="MeterAdapter"/> names a series <c>{meter}_{instrument}</c> in lower case and adds no
/// suffix (it exports .NET counters as Prometheus gauges, so no <c>_total</c> is appended), hence the instrument
/// names below are the exposed names without the <c>wsbalancer_</c> prefix.
/// </remarks>
internal sealed class BalancerMetrics : IUpstreamObserver, IDisposable
{
    /// <summary>The meter's name, which prometheus-net turns into the <c>wsbalancer_</c> prefix.</summary>
    public const string MeterName = "WsBalancer";

    // Breaker gauge values. BreakerState numbers its members differently (Open = 1): map with BreakerValue.

    /// <summary>Gauge value of a closed breaker.</summary>
    public const int BreakerClosed = 0;

    /// <summary>Gauge value of a half-open breaker (one trial dial allowed).</summary>
    public const int BreakerHalfOpen = 1;

    /// <summary>Gauge value of an open breaker.</summary>
    public const int BreakerOpen = 2;

    // The ancestor's buckets, in bytes.
    private static readonly int[] MessageSizeBoundaries = [128, 256, 512, 1024, 2048, 5120];
    private static readonly double[] MessageSizeBuckets = Array.ConvertAll(MessageSizeBoundaries, bytes => (double)bytes);

    // 1 s to 1 day: sessions of chargers and terminals live for hours.
    private static readonly double[] SessionDurationBuckets = [1, 10, 60, 300, 1800, 3600, 21600, 86400];

    // Tags built once, so recording allocates nothing.
    private static readonly KeyValuePair<string, object?> ToBackend = new("direction", "f2b");
    private static readonly KeyValuePair<string, object?> ToClient = new("direction", "b2f");
    private static readonly KeyValuePair<string, object?> Abnormal = new("reason", "abnormal");
    private static readonly KeyValuePair<string, object?> Administrative = new("reason", "administrative");
    private static readonly KeyValuePair<string, object?> DroppedByNull = new("reason", "null");
    private static readonly KeyValuePair<string, object?> DroppedByError = new("reason", "error");
    private static readonly KeyValuePair<string, object?> RefusedBySessionLimit = new("reason", "session_limit");
    private static readonly KeyValuePair<string, object?> RefusedByAddressLimit = new("reason", "address_limit");

    private readonly bool _instrumentation;
    private readonly Counter<long> _newSession;
    private readonly Histogram<int> _messageSize;
    private readonly Histogram<double> _sessionDuration;
    private readonly Counter<long> _failovers;
    private readonly Counter<long> _dialFailures;
    private readonly Counter<long> _drainMoved;
    private readonly Counter<long> _valveDropped;
    private readonly Counter<long> _frontendRefused;
    private readonly Counter<long> _pluginLoads;
    private readonly Counter<long> _pluginLoadFailures;
    private readonly Counter<long> _pluginValveErrors;
    private readonly Counter<long> _pluginListenerErrors;
    private Func<IEnumerable<(string Plugin, string Version, int Sessions, bool Stuck)>>? _pluginVersions;
    private readonly Meter _meter;
    private readonly PrometheusExport _export;
    private readonly ScriptMetrics _scripts;
    private Func<long>? _activeSessions;
    private Func<long>? _pendingMessages;
    private BufferBudget? _budget;
    private Func<IEnumerable<(string Backend, int State)>>? _breakers;
    private Func<IEnumerable<(string Backend, int Remaining)>>? _drains;

    /// <param name="time">The clock of <see cref="RecentFailovers"/>; the system clock when not given.</param>
    public BalancerMetrics(IMeterFactory meterFactory, ServerSettings settings, TimeProvider? time = null)
    {
        _instrumentation = settings.EnableInstrumentation;
        RecentFailovers = new RecentEvents(TimeSpan.FromMinutes(5), time ?? TimeProvider.System);
        // From the DI factory, not `new Meter`: each host (and each test's service provider) gets its own meter.
        _meter = meterFactory.Create(MeterName);
        _newSession = _meter.CreateCounter<long>("new_session", "{session}", "Client sessions accepted (a failover is not a new session).");
        _messageSize = _meter.CreateHistogram("message_size", "By", "Sizes of messages crossing the balancer (with enable-instrumentation).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = MessageSizeBoundaries });
        _sessionDuration = _meter.CreateHistogram("session_duration_seconds", "s", "Lifetimes of ended client sessions.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SessionDurationBuckets });
        _failovers = _meter.CreateCounter<long>("failovers_total", "{failover}", "Sessions moved off a backend.");
        _dialFailures = _meter.CreateCounter<long>("dial_failures_total", "{dial}", "Backend dials that did not give a connection.");
        _drainMoved = _meter.CreateCounter<long>("drain_moved_sessions_total", "{session}", "Sessions a backend drain moved to another backend.");
        _meter.CreateObservableGauge("drain_remaining_sessions", ObserveDrainRemaining, "{session}", "Sessions still on each draining backend.");
        _valveDropped = _meter.CreateCounter<long>("valve_dropped_messages_total", "{message}", "Messages dropped by a valve.");
        _frontendRefused = _meter.CreateCounter<long>("frontend_refused_total", "{session}", "Client upgrades the frontend refused by a session limit, before any dial.");
        _meter.CreateObservableGauge("active_sessions", ObserveActive, "{session}", "Client sessions currently open.");
        _meter.CreateObservableGauge("pending_messages", ObservePendingMessages, "{message}", "Client messages waiting in pending queues.");
        _meter.CreateObservableGauge("buffered_bytes", () => Budget(b => b.Used), "By", "Message bytes sessions hold now, against server.buffer-budget.");
        _meter.CreateObservableGauge("buffer_budget_bytes", () => Budget(b => b.Limit), "By", "server.buffer-budget: over it the largest holders are back-pressured.");
        _meter.CreateObservableGauge("buffer_holding_sessions", () => Budget(b => b.Holders), "{session}", "Sessions holding message bytes now.");
        _meter.CreateObservableCounter("buffer_budget_waits_total", () => Budget(b => b.Refusals), "{wait}", "Times a session was back-pressured by the buffer budget.");
        _meter.CreateObservableGauge("backend_breaker_state", ObserveBreakerStates, null, "Circuit breaker per backend: 0 closed, 1 half-open, 2 open.");
        _pluginLoads = _meter.CreateCounter<long>("plugin_loads_total", "{load}", "Plugin versions loaded.");
        _pluginLoadFailures = _meter.CreateCounter<long>("plugin_load_failures_total", "{load}", "Plugin versions that failed to load.");
        _pluginValveErrors = _meter.CreateCounter<long>("plugin_valve_errors_total", "{error}", "Plugin valves or valve providers that threw (the message was dropped).");
        _pluginListenerErrors = _meter.CreateCounter<long>("plugin_listener_errors_total", "{error}", "Plugin session listeners that threw (the call was skipped).");
        _meter.CreateObservableGauge("plugin_pinned_sessions", ObservePinnedSessions, "{session}", "Live sessions holding each loaded plugin version.");
        _meter.CreateObservableGauge("plugin_unload_stuck", ObserveUnloadStuck, "{version}", "Retired plugin versions still loaded 60 s after their last session.");
        _export = new PrometheusExport(_meter, ResolveBuckets);
        _scripts = new ScriptMetrics(_export.Registry);
    }

    /// <summary>Sessions moved off a backend (abnormal or administrative) in the last 5 minutes, and in total: for <c>GET /stats</c>.</summary>
    public RecentEvents RecentFailovers { get; }

    /// <summary>The registry holding this host's series, and only those.</summary>
    public CollectorRegistry Registry => _export.Registry;

    /// <summary>Maps the breaker's own enum onto the gauge's scale (0 closed, 1 half-open, 2 open).</summary>
    public static int BreakerValue(BreakerState state) => state switch
    {
        BreakerState.HalfOpen => BreakerHalfOpen,
        BreakerState.Open => BreakerOpen,
        _ => BreakerClosed,
    };

    /// <summary>A client session got its first backend. Called by <see cref="MetricsSessionListener"/>, not by the host.</summary>
    public void SessionStarted(string frontendId, string backendId) =>
        _newSession.Add(1, new KeyValuePair<string, object?>("frontend", frontendId), new KeyValuePair<string, object?>("backend", backendId));

    /// <summary>A client session ended: called once per client session, whatever its failovers.</summary>
    public void SessionEnded(TimeSpan duration) => _sessionDuration.Record(duration.TotalSeconds);

    /// <summary>A session left <paramref name="fromBackend"/>.</summary>
    /// <remarks>Abnormal: when recovery from a broken leg begins (the session has left that backend whether or not
    /// another is found). Administrative: once the new leg is dialed (a move that found no backend moved nothing).</remarks>
    public void Failover(string fromBackend, bool administrative)
    {
        _failovers.Add(1, new KeyValuePair<string, object?>("from_backend", fromBackend), administrative ? Administrative : Abnormal);
        RecentFailovers.Record();
    }

    /// <summary>A dial to <paramref name="backend"/> failed; <paramref name="reason"/> is one of <see cref="DialFailureReason"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown reason: labels must stay a closed set.</exception>
    public void DialFailed(string backend, string reason) =>
        _dialFailures.Add(1, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("reason", DialFailureReason.Validate(reason)));

    /// <summary>A drain moved one session off <paramref name="backend"/>.</summary>
    public void SessionDrained(string backend) => _drainMoved.Add(1, new KeyValuePair<string, object?>("backend", backend));

    /// <summary>Reads the drained and draining backends, with the sessions left on each, at each scrape.</summary>
    public void ObserveDrains(Func<IEnumerable<(string Backend, int Remaining)>> drains) => Volatile.Write(ref _drains, drains);

    /// <summary>A valve dropped a message: it returned null, or it threw (<paramref name="error"/>).</summary>
    public void ValveDropped(string valve, bool error) =>
        _valveDropped.Add(1, new KeyValuePair<string, object?>("valve", valve), error ? DroppedByError : DroppedByNull);

    /// <summary>The frontend refused a new session by <paramref name="refusal"/>'s limit.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SessionRefusal.None"/>: nothing was refused.</exception>
    public void FrontendRefused(SessionRefusal refusal) => _frontendRefused.Add(1, refusal switch
    {
        SessionRefusal.SessionLimit => RefusedBySessionLimit,
        SessionRefusal.AddressLimit => RefusedByAddressLimit,
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal, "not a refusal"),
    });

    public void PluginLoaded(string plugin) => _pluginLoads.Add(1, new KeyValuePair<string, object?>("plugin", plugin));

    public void PluginLoadFailed(string plugin) => _pluginLoadFailures.Add(1, new KeyValuePair<string, object?>("plugin", plugin));

    /// <summary>A plugin's valve (or provider, <paramref name="listener"/> false) or listener threw.</summary>
    public void PluginFault(string plugin, bool listener) =>
        (listener ? _pluginListenerErrors : _pluginValveErrors).Add(1, new KeyValuePair<string, object?>("plugin", plugin));

    /// <summary>Reads the loaded plugin versions at each scrape.</summary>
    public void ObservePluginVersions(Func<IEnumerable<(string Plugin, string Version, int Sessions, bool Stuck)>> versions) =>
        Volatile.Write(ref _pluginVersions, versions);

    /// <summary>One message crossed the balancer. A no-op unless enable-instrumentation is on.</summary>
    public void MessageSize(bool toBackend, int bytes)
    {
        if (_instrumentation)
        {
            _messageSize.Record(bytes, toBackend ? ToBackend : ToClient);
        }
    }

    /// <summary>Reads the breakers at each scrape. Values: <see cref="BreakerClosed"/>, <see cref="BreakerHalfOpen"/>, <see cref="BreakerOpen"/>.</summary>
    public void ObserveBreakers(Func<IEnumerable<(string Backend, int State)>> breakers) => Volatile.Write(ref _breakers, breakers);

    /// <summary>Reads the number of pending client messages (all sessions) at each scrape.</summary>
    public void ObservePending(Func<long> pendingMessages) => Volatile.Write(ref _pendingMessages, pendingMessages);

    /// <summary>Reads the buffer budget's level at each scrape.</summary>
    public void ObserveBufferBudget(BufferBudget budget) => Volatile.Write(ref _budget, budget);

    /// <summary>Reads the number of open client sessions at each scrape.</summary>
    // Observed rather than counted up and down: the session registry is the one truth (the admin API lists it),
    // and the adapter forgets a series idle past its expiry, which would restart an up-down count from zero.
    public void ObserveActiveSessions(Func<long> activeSessions) => Volatile.Write(ref _activeSessions, activeSessions);

    public void Dispose() => _export.Dispose();

    private IEnumerable<Measurement<long>> ObserveActive() =>
        Volatile.Read(ref _activeSessions) is { } read ? [new Measurement<long>(read())] : [];

    private IEnumerable<Measurement<long>> Budget(Func<BufferBudget, long> read) =>
        Volatile.Read(ref _budget) is { } budget ? [new Measurement<long>(read(budget))] : [];

    private IEnumerable<Measurement<long>> ObservePendingMessages() =>
        Volatile.Read(ref _pendingMessages) is { } read ? [new Measurement<long>(read())] : [];

    private IEnumerable<Measurement<int>> ObservePinnedSessions()
    {
        foreach (var (plugin, version, sessions, _) in Volatile.Read(ref _pluginVersions)?.Invoke() ?? [])
        {
            yield return new Measurement<int>(sessions, new KeyValuePair<string, object?>("plugin", plugin), new KeyValuePair<string, object?>("version", version));
        }
    }

    private IEnumerable<Measurement<int>> ObserveUnloadStuck()
    {
        var stuck = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (plugin, _, _, isStuck) in Volatile.Read(ref _pluginVersions)?.Invoke() ?? [])
        {
            stuck[plugin] = stuck.GetValueOrDefault(plugin) + (isStuck ? 1 : 0);
        }

        foreach (var (plugin, count) in stuck)
        {
            yield return new Measurement<int>(count, new KeyValuePair<string, object?>("plugin", plugin));
        }
    }

    private IEnumerable<Measurement<int>> ObserveBreakerStates()
    {
        if (Volatile.Read(ref _breakers) is not { } read)
        {
            yield break;
        }

        foreach (var (backend, state) in read())
        {
            yield return new Measurement<int>(state, new KeyValuePair<string, object?>("backend", backend));
        }
    }

    private IEnumerable<Measurement<int>> ObserveDrainRemaining()
    {
        foreach (var (backend, remaining) in Volatile.Read(ref _drains)?.Invoke() ?? [])
        {
            yield return new Measurement<int>(remaining, new KeyValuePair<string, object?>("backend", backend));
        }
    }

    /// <summary>The per-message series of one script: resolve once, then measure each call.</summary>
    public ScriptMetrics.Series Script(string script) => _scripts.For(script);

    private double[] ResolveBuckets(Instrument instrument) =>
        ReferenceEquals(instrument, _messageSize) ? MessageSizeBuckets
        : ReferenceEquals(instrument, _sessionDuration) ? SessionDurationBuckets
        : throw new InvalidOperationException($"No buckets defined for histogram {instrument.Name}.");
}

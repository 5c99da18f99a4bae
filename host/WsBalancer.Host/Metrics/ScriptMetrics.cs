using System.Collections.Concurrent;
using Prometheus;

namespace WsBalancer.Host.Metrics;

/// <summary>
/// The per-script series (<c>wsbalancer_script_*</c>), written straight into the host's prometheus-net registry with
/// each script's label children resolved once and cached.
/// </summary>
/// <remarks>
/// These are measured on every message a script sees. Through the <c>System.Diagnostics.Metrics</c> adapter the other
/// instruments use, a call's counter and histogram cost about 1 µs together (measured: the adapter resolves the label
/// set on each measurement), more than the script call itself. A cached child is an interlocked add.
/// The series of a script stay while the process lives (as many as script names were ever loaded).
/// </remarks>
internal sealed class ScriptMetrics
{
    private static readonly double[] DurationBuckets = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1];

    private readonly Counter _calls;
    private readonly Counter _outcomes;
    private readonly Counter _errors;
    private readonly Histogram _duration;
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly Func<string, Series> _create;

    public ScriptMetrics(CollectorRegistry registry)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _calls = factory.CreateCounter("wsbalancer_script_calls_total", "Calls into script valves.", ["script"]);
        _outcomes = factory.CreateCounter("wsbalancer_script_outcomes_total", "Messages a script dropped, modified or replied to (shadow scripts: would have).", ["script", "outcome"]);
        _errors = factory.CreateCounter("wsbalancer_script_errors_total", "Script calls that threw or broke a limit.", ["script", "kind"]);
        _duration = factory.CreateHistogram("wsbalancer_script_call_duration_seconds", "Time of script calls.",
            new HistogramConfiguration { LabelNames = ["script"], Buckets = DurationBuckets });
        _create = script => new Series(this, script);
    }

    /// <summary>The series of one script, created on its first measurement.</summary>
    public Series For(string script) => _series.GetOrAdd(script, _create);

    /// <summary>One script's label children.</summary>
    internal sealed class Series
    {
        private readonly Counter.Child _calls;
        private readonly Histogram.Child _duration;
        private readonly Counter.Child _drops;
        private readonly Counter.Child _modifies;
        private readonly Counter.Child _replies;
        private readonly Counter _errors;
        private readonly string _script;

        internal Series(ScriptMetrics metrics, string script)
        {
            _script = script;
            _calls = metrics._calls.WithLabels(script);
            _duration = metrics._duration.WithLabels(script);
            _drops = metrics._outcomes.WithLabels(script, "drop");
            _modifies = metrics._outcomes.WithLabels(script, "modify");
            _replies = metrics._outcomes.WithLabels(script, "reply");
            _errors = metrics._errors;
        }

        public void Call(double seconds)
        {
            _calls.Inc();
            _duration.Observe(seconds);
        }

        /// <summary><paramref name="outcome"/> is drop, modify or reply.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Another outcome: labels stay a closed set.</exception>
        public void Outcome(string outcome) => (outcome switch
        {
            "drop" => _drops,
            "modify" => _modifies,
            "reply" => _replies,
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "A script outcome is drop, modify or reply."),
        }).Inc();

        /// <summary>Rare, so its children are not cached; <paramref name="kind"/> is error, limit or budget.</summary>
        public void Failed(string kind) => _errors.WithLabels(_script, kind).Inc();
    }
}

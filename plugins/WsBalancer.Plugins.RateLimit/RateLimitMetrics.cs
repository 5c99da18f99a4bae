using System.Diagnostics.Metrics;

namespace WsBalancer.Plugins.RateLimit;

/// <summary>Which limit a message went over: the value of the counter's <c>limit</c> tag.</summary>
internal enum ExcessLimit
{
    Session,
    Address,
    Size,
}

/// <summary>
/// The plugin's instruments. The meter belongs to one provider instance and is disposed with it: a static meter
/// would stay registered with the runtime's listeners and keep the plugin's load context alive.
/// </summary>
internal sealed class RateLimitMetrics : IDisposable
{
    public const string MeterName = "WsBalancer.Plugins.RateLimit";
    public const string ExcessCounterName = "wsbalancer_ratelimit_excess_total";

    private readonly Counter<long> _excess;

    public RateLimitMetrics(string version)
    {
        Meter = new Meter(MeterName, version);
        _excess = Meter.CreateCounter<long>(
            ExcessCounterName,
            unit: "{message}",
            description: "Messages over a limit, by limit (session, address, size) and action (drop, close).");
    }

    public Meter Meter { get; }

    public void Excess(ExcessLimit limit, ExcessAction action) => _excess.Add(
        1,
        new KeyValuePair<string, object?>("limit", TagValue(limit)),
        new KeyValuePair<string, object?>("action", action == ExcessAction.Close ? "close" : "drop"));

    public void Dispose() => Meter.Dispose();

    internal static string TagValue(ExcessLimit limit) => limit switch
    {
        ExcessLimit.Session => "session",
        ExcessLimit.Address => "address",
        _ => "size",
    };
}

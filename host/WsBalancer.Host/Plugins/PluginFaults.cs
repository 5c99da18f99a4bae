using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Metrics;

namespace WsBalancer.Host.Plugins;

/// <summary>
/// Counts and logs plugin parts that throw (valves, valve providers, listeners). Every fault is counted per plugin;
/// the log says so at most once per <see cref="Window"/> per type, with how many it saw, so a valve throwing on every
/// message cannot flood the log.
/// </summary>
internal sealed class PluginFaults
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    // Bounded: one entry per plugin type that ever threw; types are few, and the key holds only strings.
    private const int MaxTracked = 1024;

    private readonly ConcurrentDictionary<string, FaultWindow> _windows = new(StringComparer.Ordinal);
    private readonly BalancerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PluginFaults(BalancerMetrics metrics, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _metrics = metrics;
        _time = time;
        _logger = loggerFactory.CreateLogger("WsBalancer.Host.Plugins");
    }

    public void Report(string plugin, string typeName, bool listener, Exception exception)
    {
        _metrics.PluginFault(plugin, listener);
        var key = plugin + "/" + typeName;
        if (!_windows.TryGetValue(key, out var window))
        {
            if (_windows.Count >= MaxTracked)
            {
                _windows.Clear();
            }

            window = _windows.GetOrAdd(key, _ => new FaultWindow());
        }

        if (window.Count(_time.GetTimestamp(), _time) is { } count)
        {
            PluginsLog.PartFailed(_logger, plugin, typeName, count, (int)Window.TotalSeconds, exception);
        }
    }

    private sealed class FaultWindow
    {
        private long _openedAt;
        private long _count;

        /// <summary>Counts one fault; returns the count to log when this fault opens a new window, else null.</summary>
        public long? Count(long now, TimeProvider time)
        {
            lock (this)
            {
                _count++;
                if (_openedAt != 0 && time.GetElapsedTime(_openedAt, now) < Window)
                {
                    return null;
                }

                var count = _count;
                _openedAt = now;
                _count = 0;
                return count;
            }
        }
    }
}

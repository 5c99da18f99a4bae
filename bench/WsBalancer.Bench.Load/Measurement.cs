using System.Diagnostics;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// The measured window of a scenario: wall time, and the CPU time spent in it by the target (the proxy under test),
/// the echo backends and this load generator.
/// </summary>
internal sealed class Measurement(ProcessProbe target, ProcessProbe backends)
{
    private long _startTimestamp;
    private double _targetCpu;
    private double _backendCpu;
    private TimeSpan _selfCpu;

    public double Seconds { get; private set; }

    public double TargetCpuSeconds { get; private set; }

    public double BackendCpuSeconds { get; private set; }

    public double LoadCpuSeconds { get; private set; }

    public void Start()
    {
        _targetCpu = target.CpuSeconds();
        _backendCpu = backends.CpuSeconds();
        _selfCpu = Process.GetCurrentProcess().TotalProcessorTime;
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    public void Stop()
    {
        Seconds = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        TargetCpuSeconds = target.CpuSeconds() - _targetCpu;
        BackendCpuSeconds = backends.CpuSeconds() - _backendCpu;
        LoadCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - _selfCpu).TotalSeconds;
    }

    /// <summary>Adds the window and, when <paramref name="operations"/> is positive, the target's CPU µs per operation.</summary>
    public void WriteTo(JsonObject result, long operations)
    {
        result["seconds"] = Math.Round(Seconds, 3);
        result["loadCpuSeconds"] = Math.Round(LoadCpuSeconds, 3);
        result["backendCpuSeconds"] = backends.IsEmpty ? null : Math.Round(BackendCpuSeconds, 3);
        if (target.IsEmpty)
        {
            return;
        }

        result["targetCpuSeconds"] = Math.Round(TargetCpuSeconds, 3);
        result["targetCpuPercent"] = Seconds > 0 ? Math.Round(100 * TargetCpuSeconds / Seconds, 1) : null;
        result["targetCpuUsPerOp"] = operations > 0 ? Math.Round(TargetCpuSeconds * 1e6 / operations, 2) : null;
        // The echo backends do the same work per message whatever proxy is in front, yet their CPU per message moves
        // with the machine's load by a third between runs; the proxy's CPU over theirs in the same window cancels that.
        result["targetCpuPerBackendCpu"] = !backends.IsEmpty && BackendCpuSeconds > 0 ? Math.Round(TargetCpuSeconds / BackendCpuSeconds, 2) : null;
    }
}

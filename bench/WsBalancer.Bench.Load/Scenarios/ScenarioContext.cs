using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>What every scenario gets: the arguments, the one URL it may target and the processes to measure.</summary>
internal sealed class ScenarioContext(LoadArguments args, Connector connector, ProcessProbe target, ProcessProbe backends, CancellationToken cancellationToken)
{
    public LoadArguments Args { get; } = args;

    public Connector Connector { get; } = connector;

    public ProcessProbe Target { get; } = target;

    public ProcessProbe Backends { get; } = backends;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public Measurement NewMeasurement() => new(Target, Backends);

    /// <summary>Opens <paramref name="count"/> connections, <paramref name="parallelism"/> at a time; fails on the first error.</summary>
    public async Task<ClientWebSocket[]> OpenAllAsync(int count, int parallelism, Func<int, string?>? pathFor = null)
    {
        var sockets = new ClientWebSocket[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = CancellationToken }, async (i, ct) =>
        {
            sockets[i] = await Connector.ConnectAsync(pathFor?.Invoke(i), ct);
        });
        return sockets;
    }

    public static JsonObject NewResult(string scenario, string target) => new()
    {
        ["scenario"] = scenario,
        ["target"] = target,
        ["ok"] = true,
    };
}

/// <summary>Warm-up, measuring, stopping: workers count only while measuring.</summary>
internal sealed class Phase
{
    private volatile int _value;

    public bool Measuring => _value == 1;

    public bool Stopped => _value == 2;

    public void StartMeasuring() => _value = 1;

    public void Stop() => _value = 2;
}

/// <summary>Per-worker counters: no sharing on the hot path; summed at the end.</summary>
internal sealed class WorkerStats
{
    public LatencyHistogram Latency { get; } = new();

    public long Operations;
    public long Bytes;
    public long Errors;
    public string? LastError;

    /// <summary>All workers' counters and latencies added up; the first error message kept.</summary>
    public static WorkerStats Sum(IEnumerable<WorkerStats> workers)
    {
        var total = new WorkerStats();
        foreach (var worker in workers)
        {
            total.Latency.Add(worker.Latency);
            total.Operations += worker.Operations;
            total.Bytes += worker.Bytes;
            total.Errors += worker.Errors;
            total.LastError ??= worker.LastError;
        }

        return total;
    }
}

internal static class Frames
{
    /// <summary>Reads one whole message into <paramref name="buffer"/>; a message larger than the buffer is an error.</summary>
    public static async ValueTask<(WebSocketMessageType Type, int Count)> ReceiveMessageAsync(WebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
            count += result.Count;
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, count);
            }

            if (count == buffer.Length)
            {
                throw new InvalidDataException($"a message larger than {buffer.Length} bytes arrived");
            }
        }
    }

    public static bool IsConnectionError(Exception ex) =>
        ex is WebSocketException or IOException or InvalidDataException or HttpRequestException or OperationCanceledException;
}

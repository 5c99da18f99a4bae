using System.IO.Pipelines;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>Runs a pump over fixed input bytes delivered in chosen chunks; the output is what the pump flushed.</summary>
internal static class PumpHarness
{
    public static readonly RelayPumpOptions FromClient = RelayPumpOptions.ClientToBackend(maxMessageBytes: 16 << 20);
    public static readonly RelayPumpOptions FromBackend = RelayPumpOptions.BackendToClient(maxMessageBytes: 16 << 20);

    public static async Task<(RelayOutcome Outcome, byte[] Output)> RunAsync(byte[] input, RelayPumpOptions options, Func<int> chunk, IRelayEvents events, CancellationToken cancellationToken)
    {
        var reader = new ChunkedPipeReader(input, chunk);
        var output = new MemoryStream();
        // A stream writer only writes to its stream on flush: the output holds exactly what was flushed.
        var writer = PipeWriter.Create(output);
        var pump = new RelayPump(reader, writer, options, events);
        var outcome = await pump.RunAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        return (outcome, output.ToArray());
    }

    public static Func<int> Whole => () => int.MaxValue;

    public static Func<int> Bytewise => () => 1;

    public static Func<int> Random(int seed, int max)
    {
        var random = new Bogus.Randomizer(seed);
        return () => random.Int(1, max);
    }

    public static Func<int> Named(string chunking) => chunking switch
    {
        "whole" => Whole,
        "bytewise" => Bytewise,
        _ => Random(chunking.Length * 7919, 37),
    };
}

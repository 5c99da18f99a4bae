using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Relay;

/// <summary>What came back to a client that played a <see cref="MessageSequence"/>: whole messages in order, the pongs in order, the close.</summary>
public sealed record EchoTranscript(IReadOnlyList<(WebSocketMessageType Type, byte[] Data)> Messages, IReadOnlyList<byte[]> Pongs, int? CloseCode, string CloseReason)
{
    /// <summary>What an echo peer must send back: every message as sent, a pong per ping, the client's own close.</summary>
    public static EchoTranscript Expected(MessageSequence sequence, bool withPongs) =>
        new([.. sequence.Messages.Select(m => (m.Type, m.Payload))], withPongs ? sequence.Pings : [], sequence.CloseCode, sequence.CloseReason);

    /// <summary>
    /// Fails, naming <paramref name="what"/> (which carries the seed), at the first difference: count, then each
    /// message's type, length and first differing byte, then the pongs, then the close code and reason.
    /// </summary>
    public void AssertSameAs(EchoTranscript expected, string what)
    {
        for (var i = 0; i < Math.Min(Messages.Count, expected.Messages.Count); i++)
        {
            var (type, data) = Messages[i];
            var (expectedType, expectedData) = expected.Messages[i];
            Assert.True(type == expectedType, $"{what}: message {i} is {type}, expected {expectedType}");
            Assert.True(data.Length == expectedData.Length, $"{what}: message {i} ({type}) has {data.Length} bytes, expected {expectedData.Length}{Preview(data, expectedData)}");
            var differs = data.AsSpan().CommonPrefixLength(expectedData);
            Assert.True(differs == data.Length, $"{what}: message {i} ({type}, {data.Length} bytes) differs from byte {differs} on{Preview(data, expectedData)}");
        }

        Assert.True(Messages.Count == expected.Messages.Count, $"{what}: {Messages.Count} messages came back, expected {expected.Messages.Count} (the first {Math.Min(Messages.Count, expected.Messages.Count)} match)");
        Assert.True(Pongs.Count == expected.Pongs.Count, $"{what}: {Pongs.Count} pongs, expected {expected.Pongs.Count}");
        for (var i = 0; i < Pongs.Count; i++)
        {
            Assert.True(Pongs[i].AsSpan().SequenceEqual(expected.Pongs[i]), $"{what}: pong {i} carries {Convert.ToHexString(Pongs[i])}, expected {Convert.ToHexString(expected.Pongs[i])}");
        }

        Assert.True(CloseCode == expected.CloseCode, $"{what}: closed with {CloseCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no code"}, expected {expected.CloseCode}");
        Assert.True(CloseReason == expected.CloseReason, $"{what}: close reason '{CloseReason}', expected '{expected.CloseReason}'");
    }

    private static string Preview(byte[] data, byte[] expected) =>
        $" (got {Convert.ToHexString(data.AsSpan(0, Math.Min(data.Length, 16)))}…, expected {Convert.ToHexString(expected.AsSpan(0, Math.Min(expected.Length, 16)))}…)";
}

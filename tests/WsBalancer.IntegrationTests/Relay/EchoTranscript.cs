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
    /// <param name="pongsMayCoalesce">
    /// RFC 6455 §5.5.3 lets an endpoint that has not yet answered earlier pings answer only the most recent one (the
    /// balancer does, when more pings wait than its outbox holds): the pongs must then be the pings in order with
    /// some left out, never the last.
    /// </param>
    public void AssertSameAs(EchoTranscript expected, string what, bool pongsMayCoalesce = false)
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
        if (pongsMayCoalesce)
        {
            AssertPongsCoalescedFrom(expected.Pongs, what);
        }
        else
        {
            Assert.True(Pongs.Count == expected.Pongs.Count, $"{what}: {Pongs.Count} pongs, expected {expected.Pongs.Count}");
            for (var i = 0; i < Pongs.Count; i++)
            {
                Assert.True(Pongs[i].AsSpan().SequenceEqual(expected.Pongs[i]), $"{what}: pong {i} carries {Convert.ToHexString(Pongs[i])}, expected {Convert.ToHexString(expected.Pongs[i])}");
            }
        }

        Assert.True(CloseCode == expected.CloseCode, $"{what}: closed with {CloseCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no code"}, expected {expected.CloseCode}");
        Assert.True(CloseReason == expected.CloseReason, $"{what}: close reason '{CloseReason}', expected '{expected.CloseReason}'");
    }

    private void AssertPongsCoalescedFrom(IReadOnlyList<byte[]> pings, string what)
    {
        var next = 0;
        foreach (var pong in Pongs)
        {
            while (next < pings.Count && !pings[next].AsSpan().SequenceEqual(pong))
            {
                next++;
            }

            Assert.True(next < pings.Count, $"{what}: pong {Convert.ToHexString(pong)} answers no ping after the previous pong's");
            next++;
        }

        Assert.True(pings.Count == 0 || (Pongs.Count > 0 && Pongs[^1].AsSpan().SequenceEqual(pings[^1])), $"{what}: the last ping was not answered ({Pongs.Count} pongs for {pings.Count} pings)");
    }

    private static string Preview(byte[] data, byte[] expected) =>
        $" (got {Convert.ToHexString(data.AsSpan(0, Math.Min(data.Length, 16)))}…, expected {Convert.ToHexString(expected.AsSpan(0, Math.Min(expected.Length, 16)))}…)";
}

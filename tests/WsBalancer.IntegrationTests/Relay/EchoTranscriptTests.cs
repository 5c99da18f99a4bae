using System.Net.WebSockets;
using Xunit.Sdk;

namespace WsBalancer.IntegrationTests.Relay;

/// <summary>
/// The differential comparison is only as good as its strictness: every way a relay can get a conversation wrong must
/// fail it. Each case damages a real sequence's expected echo the way a broken relay would and checks it is caught.
/// </summary>
public sealed class EchoTranscriptTests
{
    public enum Damage
    {
        Dropped,
        Duplicated,
        Reordered,
        ByteFlipped,
        Truncated,
        TypeChanged,
        SplitInTwo,
        JoinedWithNext,
        PongDropped,
        PongCorrupted,
        CloseCodeChanged,
        CloseReasonChanged,
    }

    public static TheoryData<Damage, int> Cases => new MatrixTheoryData<Damage, int>(Enum.GetValues<Damage>(), [1, 6, 8]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void AssertSameAs_DamagedEcho_Fails(Damage damage, int seed)
    {
        var sequence = MessageSequence.Generate(seed, 20);
        var expected = EchoTranscript.Expected(sequence, withPongs: true);
        var random = new Bogus.Randomizer(seed);
        var messages = expected.Messages.ToList();
        var at = random.Int(0, messages.Count - 2);
        var nonEmpty = messages.FindIndex(m => m.Data.Length > 1);
        var pongs = expected.Pongs.ToList();
        switch (damage)
        {
            case Damage.Dropped:
                messages.RemoveAt(at);
                break;
            case Damage.Duplicated:
                messages.Insert(at, messages[at]);
                break;
            case Damage.Reordered:
                at = Enumerable.Range(0, messages.Count - 1).First(i => !messages[i].Data.AsSpan().SequenceEqual(messages[i + 1].Data));
                (messages[at], messages[at + 1]) = (messages[at + 1], messages[at]);
                break;
            case Damage.ByteFlipped:
                var flipped = messages[nonEmpty].Data.ToArray();
                flipped[random.Int(0, flipped.Length - 1)] ^= 0x20;
                messages[nonEmpty] = (messages[nonEmpty].Type, flipped);
                break;
            case Damage.Truncated:
                messages[nonEmpty] = (messages[nonEmpty].Type, messages[nonEmpty].Data[..^1]);
                break;
            case Damage.TypeChanged:
                messages[at] = (messages[at].Type == WebSocketMessageType.Text ? WebSocketMessageType.Binary : WebSocketMessageType.Text, messages[at].Data);
                break;
            case Damage.SplitInTwo:
                var whole = messages[nonEmpty];
                messages[nonEmpty] = (whole.Type, whole.Data[..1]);
                messages.Insert(nonEmpty + 1, (whole.Type, whole.Data[1..]));
                break;
            case Damage.JoinedWithNext:
                messages[at] = (messages[at].Type, [.. messages[at].Data, .. messages[at + 1].Data]);
                messages.RemoveAt(at + 1);
                break;
            case Damage.PongDropped:
                pongs.RemoveAt(0);
                break;
            case Damage.PongCorrupted:
                pongs[0] = [.. pongs[0], 0x00];
                break;
        }

        var damaged = expected with
        {
            Messages = messages,
            Pongs = pongs,
            CloseCode = damage == Damage.CloseCodeChanged ? 1006 : expected.CloseCode,
            CloseReason = damage == Damage.CloseReasonChanged ? expected.CloseReason + "!" : expected.CloseReason,
        };

        Assert.True(sequence.Pings.Count > 0, $"seed {seed} sends no ping: pick another");
        expected.AssertSameAs(expected, "undamaged");
        var failure = Assert.ThrowsAny<XunitException>(() => damaged.AssertSameAs(expected, $"seed {seed}"));
        Assert.Contains($"seed {seed}", failure.Message);
    }
}

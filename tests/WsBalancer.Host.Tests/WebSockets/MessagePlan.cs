using System.Net.WebSockets;
using System.Text;
using Bogus;

namespace WsBalancer.Host.Tests.WebSockets;

/// <summary>One generated message: its type, bytes, how it is cut into fragments, and the pings sent before each fragment.</summary>
internal sealed record PlannedMessage(WebSocketMessageType Type, byte[] Payload, int[] FragmentLengths, byte[][][] PingsBeforeFragment);

/// <summary>Random message sequences (Bogus) for the relay's differential tests.</summary>
internal static class MessagePlan
{
    // Each length-encoding boundary (RFC 6455 §5.2) on both sides, plus the largest size the tests use.
    private static readonly int[] Boundaries = [0, 1, 125, 126, 127, 65535, 65536, 200 * 1024];

    public static List<PlannedMessage> Generate(int seed, int count, int maxRandomBytes, bool withPings)
    {
        var faker = new Faker { Random = new Randomizer(seed) };
        var messages = new List<PlannedMessage>();
        for (var i = 0; i < count; i++)
        {
            var length = i < Boundaries.Length && Boundaries[i] <= maxRandomBytes ? Boundaries[i]
                : faker.Random.Bool(0.8f) ? faker.Random.Int(0, Math.Min(2000, maxRandomBytes)) : faker.Random.Int(0, maxRandomBytes);
            var text = faker.Random.Bool();
            var payload = text ? Text(faker, length) : faker.Random.Bytes(length);
            var fragments = Fragments(faker, length);
            var pings = new byte[fragments.Length][][];
            for (var f = 0; f < fragments.Length; f++)
            {
                var pingCount = withPings && faker.Random.Bool(0.3f) ? faker.Random.Int(1, 2) : 0;
                pings[f] = Enumerable.Range(0, pingCount).Select(_ => faker.Random.Bytes(faker.Random.Int(0, 125))).ToArray();
            }

            messages.Add(new PlannedMessage(text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, payload, fragments, pings));
        }

        return faker.Random.Shuffle(messages).ToList();
    }

    /// <summary>Sends the plan through a WebSocket; pings go as raw frames straight into the same transport between its sends.</summary>
    public static async Task SendAsync(WebSocket socket, IReadOnlyList<PlannedMessage> plan, Func<byte[], CancellationToken, ValueTask> sendRawPing, CancellationToken cancellationToken)
    {
        foreach (var message in plan)
        {
            var at = 0;
            for (var f = 0; f < message.FragmentLengths.Length; f++)
            {
                foreach (var ping in message.PingsBeforeFragment[f])
                {
                    await sendRawPing(ping, cancellationToken);
                }

                var length = message.FragmentLengths[f];
                await socket.SendAsync(message.Payload.AsMemory(at, length), message.Type, f == message.FragmentLengths.Length - 1, cancellationToken);
                at += length;
            }
        }
    }

    /// <summary>Receives as many messages as the plan has and checks each against it, in order.</summary>
    public static async Task ReceiveAndCompareAsync(WebSocket socket, IReadOnlyList<PlannedMessage> plan, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        for (var i = 0; i < plan.Count; i++)
        {
            var received = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
                Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
                received.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            Assert.True(plan[i].Type == result.MessageType, $"message {i}: type");
            Assert.True(plan[i].Payload.AsSpan().SequenceEqual(received.ToArray()), $"message {i}: {plan[i].Payload.Length} bytes sent, {received.Length} received, content differs");
        }
    }

    public static int PingCount(IReadOnlyList<PlannedMessage> plan) => plan.Sum(message => message.PingsBeforeFragment.Sum(pings => pings.Length));

    private static byte[] Text(Faker faker, int length)
    {
        // Mixed-width UTF-8 of exactly `length` bytes: generated text cut on a code point boundary, padded with ASCII.
        var source = new StringBuilder();
        while (source.Length < length) // every char is at least one byte
        {
            source.Append(faker.Random.Bool(0.7f) ? faker.Lorem.Sentence() : faker.Random.String2(200, "aé€😀ßñ中\u0000\u007f\u0800\ufffd"));
        }

        var bytes = Encoding.UTF8.GetBytes(source.ToString());
        var cut = Math.Min(length, bytes.Length);
        while (cut > 0 && cut < bytes.Length && (bytes[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        var result = new byte[length];
        bytes.AsSpan(0, cut).CopyTo(result);
        result.AsSpan(cut).Fill((byte)'a');
        return result;
    }

    private static int[] Fragments(Faker faker, int length)
    {
        var count = faker.Random.Bool(0.5f) ? 1 : faker.Random.Int(2, 5);
        var cuts = Enumerable.Range(0, count - 1).Select(_ => faker.Random.Int(0, length)).Order().ToList(); // cuts may split code points and leave empty fragments
        var lengths = new int[count];
        var previous = 0;
        for (var i = 0; i < count - 1; i++)
        {
            lengths[i] = cuts[i] - previous;
            previous = cuts[i];
        }

        lengths[^1] = length - previous;
        return lengths;
    }
}

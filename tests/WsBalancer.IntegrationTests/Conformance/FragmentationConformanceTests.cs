using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>RFC 6455 §5.4 fragmentation: reassembly, control frames between fragments, continuation rules.</summary>
public sealed class FragmentationConformanceTests(EchoBalancerFixture fixture) : IClassFixture<EchoBalancerFixture>
{
    private readonly Faker _faker = new();

    public static TheoryData<byte, int, int> FragmentCounts => new MatrixTheoryData<byte, int, int>(
        [OutgoingFrame.Text, OutgoingFrame.Binary], [1, 2, 3, 10, 100], [0, 1]);

    [Theory]
    [MemberData(nameof(FragmentCounts))]
    public async Task Message_InFragments_EchoedAsOneMessage(byte opcode, int fragments, int chopSize)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var parts = Enumerable.Range(0, fragments).Select(_ => Encoding.UTF8.GetBytes(_faker.Random.AlphaNumeric(_faker.Random.Int(0, 40)))).ToList();
        var frames = Fragments(opcode, parts);

        Assert.True(await (chopSize == 0 ? client.SendAsync(frames, ct) : client.SendChoppedAsync(frames, chopSize, ct)));
        var echo = await client.ExpectMessageAsync(ct);

        Assert.Equal(opcode, echo.Opcode);
        Assert.Equal(parts.SelectMany(p => p), echo.Payload);
        await client.ExpectCleanCloseAsync(ct);
        Assert.Single(await fixture.BackendReceivedAsync(target, ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Message_FragmentsWithPingsBetween_PongsFirstThenWholeEcho(int chopSize)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var parts = new[] { _faker.Lorem.Word(), _faker.Lorem.Word(), _faker.Lorem.Word() };
        var pings = new[] { Encoding.UTF8.GetBytes(_faker.Lorem.Word()), Encoding.UTF8.GetBytes(_faker.Lorem.Word()) };
        var data = Fragments(OutgoingFrame.Text, [.. parts.Select(Encoding.UTF8.GetBytes)]);
        OutgoingFrame[] frames = [data[0], new(OutgoingFrame.Ping, pings[0]), data[1], new(OutgoingFrame.Ping, pings[1]), data[2]];

        // §5.4: control frames MAY be injected in the middle of a fragmented message, and are answered at once.
        Assert.True(await (chopSize == 0 ? client.SendAsync(frames, ct) : client.SendChoppedAsync(frames, chopSize, ct)));

        Assert.Equal(pings[0], await client.ExpectPongAsync(ct));
        Assert.Equal(pings[1], await client.ExpectPongAsync(ct));
        Assert.Equal(string.Concat(parts), Encoding.UTF8.GetString((await client.ExpectMessageAsync(ct)).Payload));
        await client.ExpectCleanCloseAsync(ct);
    }

    [Fact]
    public async Task Message_FragmentsArrivingSlowlyWithPings_EachPongBeforeTheMessageEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var parts = Enumerable.Range(0, 4).Select(_ => _faker.Random.AlphaNumeric(10)).ToList();

        // Each ping is answered while the message is still open: a pong never waits for the message (§5.4, §5.5.2).
        for (var i = 0; i < parts.Count; i++)
        {
            var kind = i == 0 ? OutgoingFrame.Text : OutgoingFrame.Continuation;
            var ping = Encoding.UTF8.GetBytes($"ping {i}");
            await client.SendAsync([new OutgoingFrame(kind, Encoding.UTF8.GetBytes(parts[i])) { Fin = i == parts.Count - 1 }, new OutgoingFrame(OutgoingFrame.Ping, ping)], ct);
            if (i < parts.Count - 1)
            {
                Assert.Equal(ping, await client.ExpectPongAsync(ct));
            }
        }

        // The last pong and the echo race each other through different paths: either order is fine.
        WireFrame?[] rest = [await client.ReceiveFrameAsync(ct), await client.ReceiveFrameAsync(ct)];

        Assert.Equal(string.Concat(parts), rest.Single(f => f?.Opcode == OutgoingFrame.Text)!.Text);
        Assert.Equal("ping 3", rest.Single(f => f?.Opcode == OutgoingFrame.Pong)!.Text);
        await client.ExpectCleanCloseAsync(ct);
    }

    [Theory]
    [InlineData(OutgoingFrame.Ping)]
    [InlineData(OutgoingFrame.Pong)]
    [InlineData(OutgoingFrame.Close)]
    public async Task ControlFrame_Fragmented_ConnectionFailedWithProtocolError(byte opcode)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        byte[] first = opcode == OutgoingFrame.Close ? [0x03, 0xE8] : Encoding.UTF8.GetBytes("frag1");

        // §5.5: control frames MUST NOT be fragmented.
        await client.SendAsync([new OutgoingFrame(opcode, first) { Fin = false }, new OutgoingFrame(OutgoingFrame.Continuation, "frag2"u8.ToArray())], ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002);
        Assert.Empty(transcript.BeforeClose);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    [InlineData(false, 1)]
    public async Task Continuation_WithNoMessageStarted_ConnectionFailedWithProtocolError(bool fin, int chopSize)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        OutgoingFrame[] frames = [new(OutgoingFrame.Continuation, Encoding.UTF8.GetBytes(_faker.Lorem.Word())) { Fin = fin }];

        await (chopSize == 0 ? client.SendAsync(frames, ct) : client.SendChoppedAsync(frames, chopSize, ct));
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Theory]
    [InlineData(OutgoingFrame.Text, true)]
    [InlineData(OutgoingFrame.Text, false)]
    [InlineData(OutgoingFrame.Binary, true)]
    public async Task NewMessage_WhileOneIsOpen_ConnectionFailedWithProtocolError(byte second, bool secondFin)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // §5.4: fragments of one message MUST NOT be interleaved with another message's.
        await client.SendAsync([OutgoingFrame.OfText(_faker.Lorem.Word(), fin: false), new OutgoingFrame(second, Encoding.UTF8.GetBytes(_faker.Lorem.Word())) { Fin = secondFin }], ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Fact]
    public async Task WholeFragmentedMessage_ThenStrayContinuation_FailedAndNothingAfterItEchoed()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var words = Enumerable.Range(0, 4).Select(_ => _faker.Lorem.Word()).ToList();
        var whole = words[0] + words[1];

        await client.SendAsync(
        [
            OutgoingFrame.OfText(words[0], fin: false),
            new(OutgoingFrame.Continuation, Encoding.UTF8.GetBytes(words[1])),
            new(OutgoingFrame.Continuation, Encoding.UTF8.GetBytes(words[2])) { Fin = false }, // no message open: invalid
            OutgoingFrame.OfText(words[3]),
        ], ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002);
        Assert.InRange(transcript.Messages.Count, 0, 1); // the echo of the first message: strictly required, missing today
        Assert.All(transcript.Messages, m => Assert.Equal(whole, Encoding.UTF8.GetString(m.Payload)));
        Assert.All(await fixture.BackendReceivedAsync(target, ct), m => Assert.Equal(whole, m.Text));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(0, 0)]
    public async Task Message_WithEmptyFragments_EchoedWhole(int emptyBetween, int emptyAtEnd)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var text = _faker.Lorem.Word();
        List<byte[]> parts = [[], .. Enumerable.Repeat(Array.Empty<byte>(), emptyBetween), Encoding.UTF8.GetBytes(text), .. Enumerable.Repeat(Array.Empty<byte>(), emptyAtEnd)];

        await client.SendAsync(Fragments(OutgoingFrame.Text, parts), ct);

        Assert.Equal(text, Encoding.UTF8.GetString((await client.ExpectMessageAsync(ct)).Payload));
        await client.ExpectCleanCloseAsync(ct);
    }

    internal static List<OutgoingFrame> Fragments(byte opcode, IReadOnlyList<byte[]> parts) =>
        [.. parts.Select((p, i) => new OutgoingFrame(i == 0 ? opcode : OutgoingFrame.Continuation, p) { Fin = i == parts.Count - 1 })];
}

using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>RFC 6455 §5.1–§5.3 base framing through the balancer: lengths, masking, length encodings, slow arrival.</summary>
public sealed class FramingConformanceTests(EchoBalancerFixture fixture) : IClassFixture<EchoBalancerFixture>
{
    private readonly Faker _faker = new();

    // Each side of the 7-bit / 16-bit / 64-bit length boundaries (§5.2).
    public static TheoryData<byte, int> Sizes => new MatrixTheoryData<byte, int>(
        [OutgoingFrame.Text, OutgoingFrame.Binary], [0, 125, 126, 127, 128, 65535, 65536]);

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Message_OfLength_EchoedWithSameTypeAndBytes(byte opcode, int length)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var payload = Payload(opcode, length);

        await client.SendAsync(new OutgoingFrame(opcode, payload), ct);
        var echo = await client.ExpectMessageAsync(ct);

        Assert.Equal(opcode, echo.Opcode);
        Assert.Equal(payload, echo.Payload);
        await client.ExpectCleanCloseAsync(ct);
    }

    [Theory]
    [InlineData(OutgoingFrame.Text, 997)]
    [InlineData(OutgoingFrame.Binary, 997)]
    [InlineData(OutgoingFrame.Text, 1)]
    public async Task Message_ArrivingInChops_EchoedWhole(byte opcode, int chopSize)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var payload = Payload(opcode, chopSize == 1 ? 300 : 65536); // one byte per write: kept short

        await client.SendChoppedAsync([new OutgoingFrame(opcode, payload)], chopSize, ct);
        var echo = await client.ExpectMessageAsync(ct);

        Assert.Equal(opcode, echo.Opcode);
        Assert.Equal(payload, echo.Payload);
        await client.ExpectCleanCloseAsync(ct);
    }

    [Theory]
    [InlineData(OutgoingFrame.Text, 1)]
    [InlineData(OutgoingFrame.Binary, 16)]
    public async Task Message_OfOneMebibyte_EchoedWhole(byte opcode, int fragments)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var payload = Payload(opcode, 1024 * 1024);

        Assert.True(await client.SendAsync(FragmentationConformanceTests.Fragments(opcode, [.. payload.Chunk(payload.Length / fragments)]), ct));
        var echo = await client.ExpectMessageAsync(ct);

        Assert.Equal(opcode, echo.Opcode);
        Assert.Equal(payload, echo.Payload);
        await client.ExpectCleanCloseAsync(ct);
    }

    [Fact]
    public async Task Message_OverDefaultMaxMessageSize_FailedWithMessageTooBig()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // server.max-message-size defaults to 4 MiB.
        await client.SendAsync(new OutgoingFrame(OutgoingFrame.Binary, _faker.Random.Bytes((4 * 1024 * 1024) + 1)), ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1009);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Fact]
    public async Task MaskKey_AllZero_EchoedUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var text = _faker.Lorem.Sentence();

        await client.SendAsync(OutgoingFrame.OfText(text) with { MaskKey = [0, 0, 0, 0] }, ct); // §5.3: any key, zero too
        var echo = await client.ExpectMessageAsync(ct);

        Assert.Equal(text, Encoding.UTF8.GetString(echo.Payload));
        await client.ExpectCleanCloseAsync(ct);
    }

    [Theory]
    [InlineData(OutgoingFrame.Text)]
    [InlineData(OutgoingFrame.Binary)]
    [InlineData(OutgoingFrame.Ping)]
    public async Task Frame_Unmasked_ConnectionFailedWithProtocolError(byte opcode)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // §5.1: a server MUST close the connection upon receiving an unmasked frame (1002 per §7.4.1).
        await client.SendAsync(new OutgoingFrame(opcode, _faker.Random.Bytes(10)) { Masked = false }, ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Fact]
    public async Task Length64_MostSignificantBitSet_ConnectionFailedWithProtocolError()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // §5.2: with the 64-bit form, the most significant bit MUST be 0. Nothing but the header is sent.
        await client.SendAsync(new OutgoingFrame(OutgoingFrame.Binary, []) { DeclaredLength = 1UL << 63, LengthEncoding = LengthEncoding.Extended64 }, ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Fact]
    public async Task DeclaredLength_ShorterThanBytesSent_RestReadAsNextFrameHeader()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var text = _faker.Random.AlphaNumeric(_faker.Random.Int(1, 100));
        byte[] smuggled = [0x83, 0x80, 0, 0, 0, 0]; // FIN, reserved opcode 3, masked, empty: invalid on its own (§5.2)

        // With an all-zero key the bytes past the declared length go out as they are, and a server that frames by
        // the declared length must see them as a frame of their own.
        await client.SendAsync(new OutgoingFrame(OutgoingFrame.Text, [.. Encoding.UTF8.GetBytes(text), .. smuggled])
        {
            DeclaredLength = (ulong)text.Length,
            MaskKey = [0, 0, 0, 0],
        }, ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1002);
        Assert.All(transcript.Messages, m => Assert.Equal(text, Encoding.UTF8.GetString(m.Payload))); // echoed at most once, as declared
        Assert.InRange(transcript.Messages.Count, 0, 1);
        Assert.All(await fixture.BackendReceivedAsync(target, ct), m => Assert.Equal(text, m.Text));
    }

    [Theory]
    [InlineData(LengthEncoding.Extended16, 5)]
    [InlineData(LengthEncoding.Extended64, 5)]
    [InlineData(LengthEncoding.Extended64, 300)]
    public async Task Length_NonMinimalEncoding_MessageStillFramedByItsLength(LengthEncoding encoding, int length)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var payload = _faker.Random.Bytes(length);

        // §5.2 asks senders for the minimal encoding but gives a receiver no duty to fail a longer one: either the
        // frame is framed by the length it declares (so the next message is intact) or the connection is failed.
        await client.SendAsync([new OutgoingFrame(OutgoingFrame.Binary, payload) { LengthEncoding = encoding }, OutgoingFrame.OfText("after")], ct);
        var first = await client.ReceiveFrameAsync(ct);

        Assert.NotNull(first);
        if (first.IsClose)
        {
            Assert.Equal(1002, first.CloseCode);
            return;
        }

        Assert.Equal(OutgoingFrame.Binary, first.Opcode);
        Assert.Equal(payload, first.Payload);
        Assert.Equal("after", Encoding.UTF8.GetString((await client.ExpectMessageAsync(ct)).Payload));
        await client.ExpectCleanCloseAsync(ct);
    }

    private byte[] Payload(byte opcode, int length) =>
        opcode == OutgoingFrame.Text ? Encoding.UTF8.GetBytes(_faker.Random.String2(length)) : _faker.Random.Bytes(length);
}

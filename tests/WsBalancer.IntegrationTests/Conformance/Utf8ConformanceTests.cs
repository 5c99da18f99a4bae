using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>
/// RFC 6455 §5.6 and §8.1: a text message must be valid UTF-8 as a whole; fragment and frame boundaries may fall
/// inside a code point. Invalid text fails the connection with 1007. Binary messages are never checked.
/// </summary>
public sealed class Utf8ConformanceTests(EchoBalancerFixture fixture) : IClassFixture<EchoBalancerFixture>
{
    /// <summary>How a text message goes on the wire.</summary>
    public enum Delivery
    {
        /// <summary>One frame, one write.</summary>
        OneFrame,

        /// <summary>One frame written one byte at a time.</summary>
        OneFrameBytewise,

        /// <summary>One fragment per byte: every multi-byte code point is split across fragments.</summary>
        FragmentPerByte,

        /// <summary>Two fragments, split in the middle of the case's interesting bytes.</summary>
        SplitInTheMiddle,
    }

    private readonly Faker _faker = new();

    // Byte sequences that are not UTF-8 (RFC 3629 §3, §4): lone continuations, overlong forms, surrogates, code
    // points past U+10FFFF, bytes that never occur, and sequences cut short.
    public static TheoryData<string> InvalidSequences =>
    [
        "80", "BF", "80BF80", "C0", "C080", "C1BF", "E080AF", "E09FBF", "F08F8080", "F0808080", "EDA080", "EDBFBF",
        "EDA080EDB080", "F4908080", "F5808080", "F888808080", "FC8480808080", "FE", "FF", "FEFF", "C2", "E282", "F09F98",
        "E28241", "C220", "F09F9841",
    ];

    // Boundary code points of each encoded length, and noncharacters, which are valid UTF-8 (§8.1 checks encoding only).
    public static TheoryData<string> ValidBoundaryText =>
    [
        "\u007F", "\u0080", "\u07FF", "\u0800", "\uD7FF", "\uE000", "\uFFFD", "\uFFFE", "\uFFFF",
        char.ConvertFromUtf32(0x10000), char.ConvertFromUtf32(0x10FFFF), "Grüße, ωμέγα", "\u00E9t\u00E9 \u20AC5 \u4E16\u754C",
    ];

    public static TheoryData<string, Delivery> InvalidCases => new MatrixTheoryData<string, Delivery>(
        [.. InvalidSequences.Select(row => row.Data)], Enum.GetValues<Delivery>());

    public static TheoryData<string, Delivery> ValidCases => new MatrixTheoryData<string, Delivery>(
        [.. ValidBoundaryText.Select(row => row.Data)], Enum.GetValues<Delivery>());

    [Theory]
    [MemberData(nameof(ValidCases))]
    public async Task Text_ValidUtf8_EchoedExactly(string interesting, Delivery delivery)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var (prefix, suffix) = (_faker.Random.AlphaNumeric(_faker.Random.Int(0, 8)), _faker.Random.AlphaNumeric(_faker.Random.Int(0, 8)));
        var bytes = Encoding.UTF8.GetBytes(prefix + interesting + suffix);

        Assert.True(await SendTextAsync(client, bytes, Encoding.UTF8.GetByteCount(prefix), Encoding.UTF8.GetByteCount(interesting), delivery, ct));
        var echo = await client.ExpectMessageAsync(ct);

        Assert.Equal(OutgoingFrame.Text, echo.Opcode);
        Assert.Equal(bytes, echo.Payload);
        await client.ExpectCleanCloseAsync(ct);
    }

    [Theory]
    [InlineData(Delivery.OneFrame)]
    [InlineData(Delivery.FragmentPerByte)]
    [InlineData(Delivery.SplitInTheMiddle)]
    public async Task Text_GeneratedFromEveryPlane_EchoedExactly(Delivery delivery)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var text = string.Concat(Enumerable.Range(0, 40).Select(_ => char.ConvertFromUtf32(_faker.PickRandom(
            _faker.Random.Int(0x20, 0x7E), _faker.Random.Int(0x80, 0x7FF), _faker.Random.Int(0x800, 0xD7FF), _faker.Random.Int(0x10000, 0x10FFFF)))));
        var bytes = Encoding.UTF8.GetBytes(text);

        Assert.True(await SendTextAsync(client, bytes, bytes.Length / 3, bytes.Length / 3, delivery, ct));

        Assert.Equal(text, Encoding.UTF8.GetString((await client.ExpectMessageAsync(ct)).Payload));
        await client.ExpectCleanCloseAsync(ct);
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public async Task Text_InvalidUtf8_ConnectionFailedWithInvalidPayloadAndNothingEchoed(string invalidHex, Delivery delivery)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var prefix = Encoding.UTF8.GetBytes(_faker.Random.AlphaNumeric(_faker.Random.Int(0, 8)));
        var invalid = Convert.FromHexString(invalidHex);
        byte[] bytes = [.. prefix, .. invalid, .. Encoding.UTF8.GetBytes(_faker.Random.AlphaNumeric(_faker.Random.Int(0, 8)))];

        await SendTextAsync(client, bytes, prefix.Length, invalid.Length, delivery, ct); // a strict peer may cut the writes short
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1007);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Theory]
    [InlineData("EDA080")]
    [InlineData("F4908080")]
    [InlineData("C0AF")]
    public async Task Text_InvalidFragmentThenNoMore_FailedWithoutWaitingForTheMessageEnd(string invalidHex)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // The message never ends: the failure must come from the fragment itself (fail fast, §8.1).
        await client.SendAsync([OutgoingFrame.OfText("Grüße, ωμέγα", fin: false), new OutgoingFrame(OutgoingFrame.Continuation, Convert.FromHexString(invalidHex)) { Fin = false }], ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1007);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Theory]
    [InlineData("EDA080")]
    [InlineData("F4908080")]
    public async Task Text_InvalidInsideOneSlowFrame_ConnectionFailedWithInvalidPayload(string invalidHex)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var valid = Encoding.UTF8.GetBytes("Grüße, ωμέγα");
        var invalid = Convert.FromHexString(invalidHex);
        var rest = Encoding.UTF8.GetBytes(_faker.Lorem.Word());
        var wire = new OutgoingFrame(OutgoingFrame.Text, [.. valid, .. invalid, .. rest]).Encode();
        var invalidStarts = wire.Length - rest.Length - invalid.Length;

        // The case is about slow arrival: the frame's start, then its invalid bytes, then (later) the rest of it.
        // ManagedWebSocket fails it only once the frame is complete; a fail-fast peer closes at the invalid bytes,
        // and then the later writes may fail.
        Assert.True(await client.SendBytesAsync(wire.AsMemory(0, invalidStarts), ct));
        await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        await client.SendBytesAsync(wire.AsMemory(invalidStarts, invalid.Length), ct);
        await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        await client.SendBytesAsync(wire.AsMemory(invalidStarts + invalid.Length), ct);
        var transcript = await client.ReadUntilClosedAsync(ct);

        ConformanceSteps.AssertFailed(transcript, 1007);
        Assert.Empty(transcript.BeforeClose);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Theory]
    [InlineData("EDA080")]
    [InlineData("FEFF")]
    [InlineData("C0AF")]
    public async Task Binary_NotUtf8_EchoedUnchecked(string hex)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var bytes = Convert.FromHexString(hex);

        await client.SendAsync(FragmentationConformanceTests.Fragments(OutgoingFrame.Binary, [bytes[..1], bytes[1..]]), ct);
        var echo = await client.ExpectMessageAsync(ct);

        Assert.Equal(OutgoingFrame.Binary, echo.Opcode);
        Assert.Equal(bytes, echo.Payload);
        await client.ExpectCleanCloseAsync(ct);
    }

    /// <summary>Sends <paramref name="bytes"/> as one text message; [start, start+length) are the case's interesting bytes.</summary>
    private static Task<bool> SendTextAsync(RawWebSocketClient client, byte[] bytes, int start, int length, Delivery delivery, CancellationToken cancellationToken)
    {
        var middle = start + Math.Max(1, length / 2);
        return delivery switch
        {
            Delivery.OneFrame => client.SendAsync(new OutgoingFrame(OutgoingFrame.Text, bytes), cancellationToken),
            Delivery.OneFrameBytewise => client.SendChoppedAsync([new OutgoingFrame(OutgoingFrame.Text, bytes)], 1, cancellationToken),
            Delivery.FragmentPerByte => client.SendAsync(FragmentationConformanceTests.Fragments(OutgoingFrame.Text, [.. bytes.Select(b => new[] { b })]), cancellationToken),
            _ => client.SendAsync(FragmentationConformanceTests.Fragments(OutgoingFrame.Text, [bytes[..middle], bytes[middle..]]), cancellationToken),
        };
    }
}

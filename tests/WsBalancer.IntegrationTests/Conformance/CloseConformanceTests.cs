using System.Text;
using Bogus;

namespace WsBalancer.IntegrationTests.Conformance;

/// <summary>RFC 6455 §5.5.1, §7 closing: the handshake, what follows a close, close payloads and codes.</summary>
public sealed class CloseConformanceTests(EchoBalancerFixture fixture) : IClassFixture<EchoBalancerFixture>
{
    private readonly Faker _faker = new();

    // §7.4.1 defined codes, 1012-1014 as registered with IANA since (§11.7), and the §7.4.2 ranges for registered
    // (3000-3999) and private (4000-4999) use.
    public static TheoryData<int> ValidCodes => [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];

    // §7.4.1-7.4.2: never used (0-999), reserved for no wire use (1004-1006, 1015), unassigned (1016-2999).
    public static TheoryData<int> InvalidCodes => [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999];

    [Fact]
    public async Task Close_AfterMessage_MessageEchoedThenCloseAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var text = _faker.Lorem.Sentence();

        await client.SendAsync([OutgoingFrame.OfText(text), OutgoingFrame.OfClose(1000)], ct);
        var transcript = await client.ReadUntilClosedAsync(ct, answerClose: false);

        Assert.Equal([text], transcript.Messages.Select(m => Encoding.UTF8.GetString(m.Payload)));
        Assert.Equal(1000, transcript.Close?.CloseCode);
        Assert.Empty(transcript.AfterClose);
    }

    [Theory]
    [InlineData(OutgoingFrame.Close)]
    [InlineData(OutgoingFrame.Ping)]
    [InlineData(OutgoingFrame.Text)]
    [InlineData(OutgoingFrame.Binary)]
    public async Task Close_FollowedByAnotherFrame_LaterFrameIgnored(byte after)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        byte[] payload = after == OutgoingFrame.Close ? [0x03, 0xE8] : Encoding.UTF8.GetBytes(_faker.Lorem.Word());

        // §5.5.1: after sending a close, an endpoint sends nothing more; what a peer sends after its close is not answered.
        await client.SendAsync([OutgoingFrame.OfClose(1000), new OutgoingFrame(after, payload)], ct);
        var transcript = await client.ReadUntilClosedAsync(ct, answerClose: false);

        ConformanceSteps.AssertCleanClose(transcript, 1000);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Fact]
    public async Task Close_BetweenFragments_CloseAnsweredAndUnfinishedMessageDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, target) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        var (first, second) = (_faker.Lorem.Word(), _faker.Lorem.Word());

        await client.SendAsync([OutgoingFrame.OfText(first, fin: false), OutgoingFrame.OfClose(1000), new OutgoingFrame(OutgoingFrame.Continuation, Encoding.UTF8.GetBytes(second))], ct);
        var transcript = await client.ReadUntilClosedAsync(ct, answerClose: false);

        ConformanceSteps.AssertCleanClose(transcript, 1000);
        Assert.Empty(await fixture.BackendReceivedAsync(target, ct));
    }

    [Fact]
    public async Task Close_RightBehindLargeMessage_EchoesInOrderAndPingAfterCloseUnanswered()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var large = _faker.Random.AlphaNumeric(256 * 1024);
        var small = _faker.Lorem.Sentence();

        await client.SendAsync([OutgoingFrame.OfText(large), OutgoingFrame.OfText(small), OutgoingFrame.OfClose(1000), new OutgoingFrame(OutgoingFrame.Ping, [])], ct);
        var transcript = await client.ReadUntilClosedAsync(ct, answerClose: false);

        // Whether messages right before a close are still echoed is the server's choice (§7.1.6 case in Autobahn);
        // the balancer forwards everything the client sent before its close.
        Assert.Equal([large, small], transcript.Messages.Select(m => Encoding.UTF8.GetString(m.Payload)));
        Assert.Empty(transcript.Pongs);
        Assert.Equal(1000, transcript.Close?.CloseCode);
        Assert.Empty(transcript.AfterClose);
    }

    [Fact]
    public async Task Close_EmptyPayload_AnsweredWithEmptyOrNormalClose()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        await client.SendAsync(new OutgoingFrame(OutgoingFrame.Close, []), ct);
        var transcript = await client.ReadUntilClosedAsync(ct, answerClose: false);

        // §7.1.5: no code received means 1005 locally; the answer carries no code, or 1000.
        Assert.Empty(transcript.BeforeClose);
        Assert.NotNull(transcript.Close);
        Assert.True(transcript.Close.CloseCode is null or 1000, $"answered {transcript.Close}");
        Assert.Empty(transcript.AfterClose);
    }

    [Theory]
    [MemberData(nameof(ValidCodes))]
    public async Task Close_ValidCode_HandshakeCompletesEchoingTheCode(int code)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        await client.ExpectCleanCloseAsync(ct, code); // §5.5.1: the answer typically echoes the code received
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(60)]
    [InlineData(123)]
    public async Task Close_CodeWithReason_HandshakeCompletes(int reasonLength)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;
        var reason = reasonLength <= 1 ? new string('r', reasonLength) : _faker.Random.AlphaNumeric(reasonLength - 2) + "µ"; // 123 bytes is the most a close allows

        var transcript = await client.CloseAsync(1000, ct, reason);

        ConformanceSteps.AssertCleanClose(transcript, 1000);
        Assert.Equal(reason, transcript.Close!.CloseReason); // the backend's answer, relayed: the balancer keeps the reason
    }

    [Theory]
    [MemberData(nameof(InvalidCodes))]
    public async Task Close_InvalidCode_FailedWithProtocolErrorOrDropped(int code)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        var transcript = await client.CloseAsync(code, ct);

        ConformanceSteps.AssertFailed(transcript, 1002, dropAllowed: true);
        Assert.Empty(transcript.BeforeClose);
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(65535)]
    public async Task Close_CodeAboveDefinedRange_ClosedAndCodeNeverSentBack(int code)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // RFC 6455 defines nothing above 4999; whatever the server does, it must not send such a code itself.
        var transcript = await client.CloseAsync(code, ct);

        Assert.Empty(transcript.BeforeClose);
        Assert.True(transcript.Close?.CloseCode is null or (>= 1000 and <= 4999), $"answered {transcript.Close}");
        Assert.Empty(transcript.AfterClose);
    }

    [Fact]
    public async Task Close_PayloadOfOneByte_FailedWithProtocolErrorOrDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // §5.5.1: a close body, if any, starts with a 2-byte code.
        await client.SendAsync(new OutgoingFrame(OutgoingFrame.Close, [0x03]), ct);
        var transcript = await client.ReadUntilClosedAsync(ct, answerClose: false);

        ConformanceSteps.AssertFailed(transcript, 1002, dropAllowed: true);
        Assert.Empty(transcript.BeforeClose);
    }

    [Theory]
    [InlineData("EDA080")]
    [InlineData("4772C3BC C39F65 EDBFBF 21")]
    [InlineData("FF")]
    public async Task Close_ReasonNotUtf8_FailedOrDropped(string reasonHex)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.ConnectAsync(ct);
        await using var _ = client;

        // §5.5.1: the reason is UTF-8; §8.1: invalid UTF-8 fails the connection (1007; 1002 is also accepted in practice).
        await client.SendAsync(new OutgoingFrame(OutgoingFrame.Close, [0x03, 0xE8, .. Convert.FromHexString(reasonHex.Replace(" ", string.Empty, StringComparison.Ordinal))]), ct);
        var transcript = await client.ReadUntilClosedAsync(ct, answerClose: false);

        Assert.Empty(transcript.BeforeClose);
        Assert.True(transcript.Close?.CloseCode is null or 1002 or 1007, $"answered {transcript.Close}");
        Assert.Empty(transcript.AfterClose);
    }
}

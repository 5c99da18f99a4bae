using WsBalancer.IntegrationTests.Conformance;

namespace WsBalancer.IntegrationTests.Relay;

/// <summary>
/// The same random conversation (<see cref="MessageSequence"/>) played through the balancer and directly against the
/// same echo backend (a plain .NET client and server WebSocket pair) must come back the same: the same messages, with
/// the same types and bytes, in the same order, the same pongs and the same close. Fragment boundaries may differ (an
/// intermediary may re-split, §5.4); message boundaries may not. The direct run is also checked against the sequence
/// itself, so a wrong expectation cannot hide a wrong balancer. A failure names the seed that reproduces it.
/// </summary>
public sealed class DifferentialTests(EchoBalancerFixture fixture) : IClassFixture<EchoBalancerFixture>
{
    private const int MessagesPerSequence = 40;

    // Among them, closes with 1000 and an empty reason (6), 1001 (30), 1007 (1), 1010 (42), 1011 (8) and 4999 (15).
    public static TheoryData<int, SequenceClient> Cases => new MatrixTheoryData<int, SequenceClient>(
        [1, 6, 8, 15, 30, 42, 1337, 20260101], Enum.GetValues<SequenceClient>());

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RandomSequence_ThroughBalancer_SameAsDirectPair(int seed, SequenceClient client)
    {
        var ct = TestContext.Current.CancellationToken;
        var sequence = MessageSequence.Generate(seed, MessagesPerSequence);
        TestContext.Current.TestOutputHelper?.WriteLine(sequence.ToString());
        var what = $"seed {seed}, {client}";

        var directTarget = $"/relay/{seed}/direct/{Guid.NewGuid():N}";
        var direct = await SequencePlayer.PlayAsync(client, fixture.Backend.Url, directTarget, sequence, $"{what}, direct", ct);
        var relayedTarget = $"/relay/{seed}/balancer/{Guid.NewGuid():N}";
        var relayed = await SequencePlayer.PlayAsync(client, fixture.Balancer.FrontendUri, relayedTarget, sequence, $"{what}, through the balancer", ct);

        var expected = EchoTranscript.Expected(sequence, withPongs: client == SequenceClient.RawFrames);
        direct.AssertSameAs(expected, $"{what}, direct pair against the sequence");
        relayed.AssertSameAs(direct, $"{what}, through the balancer against the direct pair", pongsMayCoalesce: true);
        (await BackendSawAsync(directTarget, ct)).AssertSameAs(EchoTranscript.Expected(sequence, withPongs: false), $"{what}, what the backend got directly");
        (await BackendSawAsync(relayedTarget, ct)).AssertSameAs(EchoTranscript.Expected(sequence, withPongs: false), $"{what}, what the backend got through the balancer");
    }

    /// <summary>The messages and the close the backend received on the connection for <paramref name="target"/>.</summary>
    private async Task<EchoTranscript> BackendSawAsync(string target, CancellationToken cancellationToken)
    {
        var received = await fixture.BackendReceivedAsync(target, cancellationToken);
        var connection = fixture.Backend.Connections.Single(c => c.Target == target);
        return new EchoTranscript([.. received.Select(f => (f.Type, f.Data))], [], (int?)connection.CloseStatus, connection.CloseStatusDescription ?? string.Empty);
    }
}

using Bogus;
using WsBalancer.Host.Sessions;
using WsBalancer.IntegrationTests.Admin;

namespace WsBalancer.IntegrationTests.Tls;

/// <summary>
/// wss:// backends of the built-in upstream: one whose certificate a private CA issued is dialed and relayed once
/// <c>upstream.tls.ca-file</c> names that CA; without it (or with another CA) the dial fails with the reason logged.
/// Both dials are covered: the message path's and the frame relay's.
/// </summary>
public sealed class BackendTlsTests : IDisposable
{
    private const int DialFailedEvent = 1202;

    private readonly TestCertificateAuthority _authority = new();
    private readonly Faker _faker = new();

    public void Dispose() => _authority.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WssBackend_IssuedByTheConfiguredCa_DialedAndRelayed(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        var leaf = _authority.IssueServer("backend");
        await using var backend = await TestBackend.StartAsync("secure", ct, certificate: leaf.Certificate);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { FrameRelay = frameRelay }, settings: b => b with { BackendCaFile = _authority.RootFile });

        var client = await balancer.ConnectAsync("/secure?q=1", ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var large = _faker.Random.Bytes(150 * 1024);
        await client.SendBinaryAsync(large, ct);

        Assert.Equal(large, (await client.ReceiveMessageAsync(ct)).Data);
        Assert.Equal("wss", backend.Url.Scheme);
        Assert.Equal("/secure?q=1", Assert.Single(backend.Connections).Target);
        Assert.Equal(frameRelay ? SessionPath.Relay : SessionPath.Message, (await balancer.SingleSessionAsync(ct)).Path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WssBackend_NoCaFile_DialFails502WithTheReasonLogged(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        var leaf = _authority.IssueServer("backend");
        await using var backend = await TestBackend.StartAsync("secure", ct, certificate: leaf.Certificate);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with { FrameRelay = frameRelay }, services: log.AddTo);

        var status = await balancer.HandshakeStatusAsync("/refused", ct);

        Assert.Equal(502, status);
        Assert.Empty(backend.Connections);
        var warning = Assert.Single(log.WithEventId(DialFailedEvent)).Message;
        Assert.Contains("the backend's certificate is not trusted", warning, StringComparison.Ordinal);
        Assert.Contains("system trust store", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WssBackend_CaFileOfAnotherAuthority_DialFailsWithTheReasonLogged()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        using var other = new TestCertificateAuthority();
        var leaf = _authority.IssueServer("backend");
        await using var backend = await TestBackend.StartAsync("secure", ct, certificate: leaf.Certificate);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, services: log.AddTo, settings: b => b with { BackendCaFile = other.RootFile });

        var status = await balancer.HandshakeStatusAsync("/refused", ct);

        Assert.Equal(502, status);
        var warning = Assert.Single(log.WithEventId(DialFailedEvent)).Message;
        Assert.Contains("nor by upstream.tls.ca-file", warning, StringComparison.Ordinal);
    }
}

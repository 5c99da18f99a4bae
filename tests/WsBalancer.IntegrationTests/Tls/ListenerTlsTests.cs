using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Sessions;

namespace WsBalancer.IntegrationTests.Tls;

/// <summary>
/// TLS on the listeners (<c>server.frontend.tls</c>, <c>server.admin.tls</c>): clients that trust only a throwaway
/// CA reach a real backend through wss:// on both session paths, and the admin API over https://; TLS below 1.2 is refused.
/// </summary>
public sealed class ListenerTlsTests : IDisposable
{
    private readonly TestCertificateAuthority _authority = new();
    private readonly Faker _faker = new();

    public void Dispose() => _authority.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frontend_PemCertificate_ClientTrustingOnlyTheCaEchoesOnEitherPath(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        var leaf = _authority.IssueServer("frontend");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            FrameRelay = frameRelay,
            Frontend = s.Frontend with { Tls = leaf.PemSettings },
        });
        string? presented = null;

        var client = await balancer.ConnectAsync("/tls", ct, options => options.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            presented = certificate?.GetCertHashString();
            return _authority.Validate(sender, certificate, chain, errors);
        });

        Assert.Equal("wss", balancer.FrontendUri.Scheme);
        Assert.Equal(leaf.Thumbprint, presented);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var large = _faker.Random.Bytes(200 * 1024); // several TLS records each way
        await client.SendBinaryAsync(large, ct);
        Assert.Equal(large, (await client.ReceiveMessageAsync(ct)).Data);
        Assert.Equal(frameRelay ? SessionPath.Relay : SessionPath.Message, (await balancer.SingleSessionAsync(ct)).Path);
        Assert.Equal("/tls", Assert.Single(backend.Connections).Target);
    }

    [Fact]
    public async Task Frontend_Pkcs12WithPassword_ClientTrustingOnlyTheCaEchoes()
    {
        var ct = TestContext.Current.CancellationToken;
        var leaf = _authority.IssueServer("frontend-pfx");
        var password = _faker.Internet.Password(20);
        var pfx = _authority.WritePkcs12(leaf, "frontend", password);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            Frontend = s.Frontend with { Tls = new ListenerTlsSettings { PfxFile = pfx, PfxPassword = password } },
        });
        string? presented = null;

        var client = await balancer.ConnectAsync("/pfx", ct, options => options.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            presented = certificate?.GetCertHashString();
            return _authority.Validate(sender, certificate, chain, errors);
        });

        Assert.Equal(leaf.Thumbprint, presented);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Fact]
    public async Task Frontend_ClientThatTrustsTheSystemStoreOnly_RefusesTheCertificate_ServerUnharmed()
    {
        var ct = TestContext.Current.CancellationToken;
        var leaf = _authority.IssueServer("frontend");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            Frontend = s.Frontend with { Tls = leaf.PemSettings },
        });

        using var stranger = new ClientWebSocket();
        using (var timeout = Timeouts.Linked(ct))
        {
            await Assert.ThrowsAsync<WebSocketException>(() => stranger.ConnectAsync(new Uri(balancer.FrontendUri, "/x"), timeout.Token));
        }

        var client = await balancer.ConnectAsync("/after", ct, options => options.RemoteCertificateValidationCallback = _authority.Validate);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    [Fact]
    public async Task Admin_Https_BackendListAnswersAClientTrustingOnlyTheCa()
    {
        var ct = TestContext.Current.CancellationToken;
        var leaf = _authority.IssueServer("admin");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, server: s => s with
        {
            Admin = s.Admin with { Tls = leaf.PemSettings },
        });
        using var admin = new HttpClient(_authority.HttpHandler()) { BaseAddress = balancer.AdminUri, Timeout = Timeouts.Default };

        using var response = await admin.GetAsync("/backend/list", ct);

        Assert.Equal("https", balancer.AdminUri.Scheme);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"b1\"", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal("ws", balancer.FrontendUri.Scheme); // each listener has its own setting
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Frontend_ClientOfferingOnlyTls12OrTls13_Negotiates(SslProtocols protocol)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var balancer = await StartWithFrontendTlsAsync(ct);

        var (negotiated, failure) = await HandshakeAsync(balancer.FrontendUri, protocol, ct);

        Assert.Null(failure);
        Assert.Equal(protocol, negotiated);
    }

    [Fact]
    public async Task Frontend_ClientOfferingOnlyTls11_Refused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var balancer = await StartWithFrontendTlsAsync(ct);

#pragma warning disable SYSLIB0039 // TLS 1.1 is obsolete: that is what the test offers, to see it refused
        var (negotiated, failure) = await HandshakeAsync(balancer.FrontendUri, SslProtocols.Tls11, ct);
#pragma warning restore SYSLIB0039

        Assert.Null(negotiated);
        Assert.True(failure is AuthenticationException or IOException, $"expected a failed TLS handshake, got {failure}");
    }

    private async Task<TestBalancer> StartWithFrontendTlsAsync(CancellationToken cancellationToken)
    {
        var leaf = _authority.IssueServer("frontend");
        return await TestBalancer.StartAsync([], cancellationToken, server: s => s with
        {
            Frontend = s.Frontend with { Tls = leaf.PemSettings },
        });
    }

    /// <summary>A TLS client handshake with the frontend offering only <paramref name="protocol"/>: what was negotiated, or how it failed.</summary>
    private async Task<(SslProtocols? Negotiated, Exception? Failure)> HandshakeAsync(Uri frontend, SslProtocols protocol, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(frontend.Host, frontend.Port, timeout.Token);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    EnabledSslProtocols = protocol,
                    RemoteCertificateValidationCallback = _authority.Validate,
                },
                timeout.Token);
            return (tls.SslProtocol, null);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or NotSupportedException)
        {
            return (null, ex);
        }
    }
}

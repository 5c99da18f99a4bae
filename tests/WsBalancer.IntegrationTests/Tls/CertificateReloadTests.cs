using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Bogus;
using WsBalancer.Host.Configuration;
using WsBalancer.IntegrationTests.Admin;

namespace WsBalancer.IntegrationTests.Tls;

/// <summary>
/// A renewed certificate replaces the frontend's without a restart: new handshakes get it, live sessions go on
/// untouched, and files caught half written leave the old certificate serving.
/// </summary>
public sealed class CertificateReloadTests : IDisposable
{
    private const int ReloadFailedEvent = 1812;

    private readonly TestCertificateAuthority _authority = new();
    private readonly Faker _faker = new();
    private readonly string _certificateFile;
    private readonly string _keyFile;

    public CertificateReloadTests()
    {
        // The balancer serves from a pair of files of its own, replaced in place below as a renewal job would.
        _certificateFile = Path.Combine(_authority.Directory, "served.crt.pem");
        _keyFile = Path.Combine(_authority.Directory, "served.key.pem");
    }

    public void Dispose() => _authority.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FilesReplaced_LiveSessionKeepsEchoing_NewConnectionGetsTheNewCertificate(bool frameRelay)
    {
        var ct = TestContext.Current.CancellationToken;
        var first = _authority.IssueServer("first");
        Serve(first);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, frameRelay, null, ct);
        var (live, liveThumbprint) = await ConnectAsync(balancer, "/live", ct);
        await live.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var changed = Changed(balancer);

        var second = _authority.IssueServer("second");
        // One file after the other: in between, the pair does not match and must not be served.
        Serve(second);
        var loaded = await changed.WaitAsync(Timeouts.Default, ct);

        Assert.Equal(first.Thumbprint, liveThumbprint);
        Assert.Equal(second.Thumbprint, loaded.Thumbprint);
        await live.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        var (fresh, freshThumbprint) = await ConnectAsync(balancer, "/fresh", ct);
        Assert.Equal(second.Thumbprint, freshThumbprint);
        await fresh.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await live.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.Equal(2, backend.Connections.Count);
    }

    [Fact]
    public async Task FileHalfWritten_OldCertificateKeptAndWarned_CompletedWriteLoaded()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        var first = _authority.IssueServer("first");
        Serve(first);
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await StartAsync(backend, frameRelay: false, log.AddTo, ct);
        var (live, _) = await ConnectAsync(balancer, "/live", ct);
        var second = _authority.IssueServer("second");
        var pem = await File.ReadAllTextAsync(second.CertificateFile, ct);

        await File.WriteAllTextAsync(_certificateFile, pem[..(pem.Length / 2)], ct);
        var warning = await WaitForLogAsync(log, ReloadFailedEvent, ct);

        Assert.Contains("keeps its certificate", warning.Message, StringComparison.Ordinal);
        var (during, duringThumbprint) = await ConnectAsync(balancer, "/during", ct);
        Assert.Equal(first.Thumbprint, duringThumbprint);
        await during.AssertEchoAsync(_faker.Lorem.Sentence(), ct);

        var changed = Changed(balancer);
        Serve(second);
        Assert.Equal(second.Thumbprint, (await changed.WaitAsync(Timeouts.Default, ct)).Thumbprint);
        var (after, afterThumbprint) = await ConnectAsync(balancer, "/after", ct);
        Assert.Equal(second.Thumbprint, afterThumbprint);
        await after.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        await live.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        Assert.DoesNotContain(log.Lines, l => l.Message.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    private void Serve(IssuedCertificate certificate)
    {
        File.Copy(certificate.CertificateFile, _certificateFile, overwrite: true);
        File.Copy(certificate.KeyFile, _keyFile, overwrite: true);
    }

    private Task<TestBalancer> StartAsync(TestBackend backend, bool frameRelay, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services, CancellationToken cancellationToken) =>
        TestBalancer.StartAsync([backend], cancellationToken, services: services, server: s => s with
        {
            FrameRelay = frameRelay,
            Frontend = s.Frontend with { Tls = new ListenerTlsSettings { CertificateFile = _certificateFile, KeyFile = _keyFile } },
        });

    /// <summary>Completes with the next certificate the frontend loads.</summary>
    private static Task<X509Certificate2> Changed(TestBalancer balancer)
    {
        var changed = new TaskCompletionSource<X509Certificate2>(TaskCreationOptions.RunContinuationsAsynchronously);
        balancer.FrontendCertificates!.CertificateChanged += certificate => changed.TrySetResult(certificate);
        return changed.Task;
    }

    /// <summary>Connects trusting only the test CA; returns the client and the thumbprint of the certificate the frontend presented.</summary>
    private async Task<(System.Net.WebSockets.ClientWebSocket Client, string? Thumbprint)> ConnectAsync(TestBalancer balancer, string path, CancellationToken cancellationToken)
    {
        string? presented = null;
        RemoteCertificateValidationCallback validate = (sender, certificate, chain, errors) =>
        {
            presented = certificate?.GetCertHashString();
            return _authority.Validate(sender, certificate, chain, errors);
        };
        var client = await balancer.ConnectAsync(path, cancellationToken, options => options.RemoteCertificateValidationCallback = validate);
        return (client, presented);
    }

    /// <summary>The log has no event to await: it is read again briefly until the line is there, bounded by the timeout.</summary>
    private static async Task<AdminLogLine> WaitForLogAsync(AdminLogCapture log, int eventId, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            if (log.WithEventId(eventId).FirstOrDefault() is { } line)
            {
                return line;
            }

            await Task.Delay(20, timeout.Token);
        }
    }
}

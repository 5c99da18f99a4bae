using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using WsBalancer.Host.Configuration;

namespace WsBalancer.IntegrationTests.Tls;

/// <summary>A leaf certificate issued by a <see cref="TestCertificateAuthority"/>, with its files in the authority's directory.</summary>
/// <param name="CertificateFile">PEM: the leaf certificate.</param>
/// <param name="KeyFile">PEM: the leaf's PKCS#8 private key.</param>
internal sealed record IssuedCertificate(X509Certificate2 Certificate, string CertificateFile, string KeyFile)
{
    public string Thumbprint => Certificate.Thumbprint;

    /// <summary>A listener's TLS settings serving this certificate from its PEM files.</summary>
    public ListenerTlsSettings PemSettings => new() { CertificateFile = CertificateFile, KeyFile = KeyFile };
}

/// <summary>
/// A throwaway certificate authority made at run time (no machine trust store is touched): it issues server
/// certificates for localhost and 127.0.0.1, writes them as PEM or PKCS#12 files into a temporary directory it
/// deletes when disposed, and validates a peer against itself alone.
/// </summary>
internal sealed class TestCertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly ECDsa _key;
    private readonly List<X509Certificate2> _issued = [];
    private int _serial;

    public TestCertificateAuthority()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("wsb-tls-tests-").FullName;
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=WsBalancer Test CA {Guid.NewGuid():N}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        Root = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        RootFile = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(RootFile, Root.ExportCertificatePem());
    }

    /// <summary>Where every file of this authority is written.</summary>
    public string Directory { get; }

    public X509Certificate2 Root { get; }

    /// <summary>PEM file of the root certificate (what <c>upstream.tls.ca-file</c> names).</summary>
    public string RootFile { get; }

    /// <summary>Issues a server certificate for localhost and 127.0.0.1 and writes it and its key as PEM files named <paramref name="name"/>.*.</summary>
    public IssuedCertificate IssueServer(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], critical: false));
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial) + 1000);
        using var issued = request.Create(Root, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12: a server certificate's key must be one the TLS stack can use, not only an ephemeral one.
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        _issued.Add(certificate);
        var certificateFile = Path.Combine(Directory, name + ".crt.pem");
        var keyFile = Path.Combine(Directory, name + ".key.pem");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return new IssuedCertificate(certificate, certificateFile, keyFile);
    }

    /// <summary>Writes <paramref name="certificate"/> with its key as a PKCS#12 file protected by <paramref name="password"/>.</summary>
    public string WritePkcs12(IssuedCertificate certificate, string name, string password)
    {
        var file = Path.Combine(Directory, name + ".pfx");
        File.WriteAllBytes(file, certificate.Certificate.Export(X509ContentType.Pkcs12, password));
        return file;
    }

    /// <summary>Accepts a server certificate only when it chains to this authority and names the host (as a client trusting only this CA would).</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(Root);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }

    /// <summary>An HTTP handler that trusts this authority alone (for the admin listener over https).</summary>
    public SocketsHttpHandler HttpHandler() => new()
    {
        UseProxy = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
    };

    public void Dispose()
    {
        foreach (var certificate in _issued)
        {
            certificate.Dispose();
        }

        Root.Dispose();
        _key.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

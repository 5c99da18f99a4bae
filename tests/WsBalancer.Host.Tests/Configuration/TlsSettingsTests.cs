using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bogus;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>
/// server.frontend.tls.* and server.admin.tls.* (FE_TLS_*, ADM_TLS_*), upstream.tls.ca-file (BE_TLS_CA_FILE):
/// sources, paths, and a startup error naming the key for every unusable combination or file; the PKCS#12 password
/// never shown.
/// </summary>
public sealed class TlsSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1801) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_NoTlsAnywhere()
    {
        var settings = _sandbox.Load();

        Assert.Null(settings.Server.Frontend.Tls);
        Assert.Null(settings.Server.Admin.Tls);
        Assert.Null(settings.BackendCaFile);
    }

    [Fact]
    public void Load_PemInYaml_PathsResolvedAgainstBaseDirectory()
    {
        WritePem("fe");

        var tls = _sandbox.LoadYaml("server: { frontend: { tls: { cert-file: fe.crt, key-file: fe.key } } }").Server.Frontend.Tls;

        Assert.NotNull(tls);
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "fe.crt"), tls.CertificateFile);
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "fe.key"), tls.KeyFile);
        Assert.Null(tls.PfxFile);
    }

    [Fact]
    public void Load_EnvironmentVariables_PemForFrontendPkcs12ForAdmin()
    {
        WritePem("fe");
        var password = _faker.Internet.Password(18);
        WritePkcs12("adm.pfx", password);
        _sandbox.Environment["FE_TLS_CERT_FILE"] = "fe.crt";
        _sandbox.Environment["FE_TLS_KEY_FILE"] = "fe.key";
        _sandbox.Environment["ADM_TLS_PFX_FILE"] = "adm.pfx";
        _sandbox.Environment["ADM_TLS_PFX_PASSWORD"] = password;

        var server = _sandbox.Load().Server;

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "fe.crt"), server.Frontend.Tls!.CertificateFile);
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "adm.pfx"), server.Admin.Tls!.PfxFile);
        Assert.Equal(password, server.Admin.Tls.PfxPassword);
    }

    [Fact]
    public void ToString_Pkcs12Password_Redacted()
    {
        var password = _faker.Internet.Password(18);
        WritePkcs12("fe.pfx", password);
        _sandbox.Environment["FE_TLS_PFX_FILE"] = "fe.pfx";
        _sandbox.Environment["FE_TLS_PFX_PASSWORD"] = password;

        var text = _sandbox.Load().Server.ToString();

        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.Contains("PfxPassword = <redacted>", text, StringComparison.Ordinal);
        Assert.Contains("fe.pfx", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CertificateWithoutKey_ErrorNamesTheKeyFile()
    {
        WritePem("fe");
        _sandbox.Environment["FE_TLS_CERT_FILE"] = "fe.crt";

        var error = _sandbox.LoadFails("server.frontend.tls.key-file", null);

        Assert.Contains("server.frontend.tls.cert-file", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_KeyWithoutCertificate_ErrorNamesTheCertificateFile()
    {
        WritePem("adm");

        _sandbox.LoadYamlFails("server: { admin: { tls: { key-file: adm.key } } }", "server.admin.tls.cert-file", null);
    }

    [Fact]
    public void Load_PemAndPkcs12_ErrorNamesThePfxFile()
    {
        WritePem("fe");
        WritePkcs12("fe.pfx", null);
        _sandbox.Environment["FE_TLS_CERT_FILE"] = "fe.crt";
        _sandbox.Environment["FE_TLS_KEY_FILE"] = "fe.key";
        _sandbox.Environment["FE_TLS_PFX_FILE"] = "fe.pfx";

        var error = _sandbox.LoadFails("FE_TLS_PFX_FILE", "fe.pfx");

        Assert.Contains("not both", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PasswordWithoutPkcs12_ErrorNamesThePasswordRedacted()
    {
        var password = _faker.Internet.Password(18);
        _sandbox.Environment["ADM_TLS_PFX_PASSWORD"] = password;

        var error = _sandbox.LoadFails("ADM_TLS_PFX_PASSWORD", SettingsReader.RedactedValue);

        Assert.DoesNotContain(password, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cert-file", "missing.crt", "fe.key")]
    [InlineData("key-file", "fe.crt", "missing.key")]
    public void Load_PemFileMissing_ErrorNamesThatFile(string missingKey, string certificate, string key)
    {
        WritePem("fe");

        var error = _sandbox.LoadYamlFails($"server: {{ frontend: {{ tls: {{ cert-file: {certificate}, key-file: {key} }} }} }}", $"server.frontend.tls.{missingKey}", missingKey == "cert-file" ? certificate : key);

        Assert.Contains("does not exist", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CertificateFileNotPem_ErrorNamesTheCertificateFile()
    {
        WritePem("fe");
        _sandbox.WriteFile("fe.crt", _faker.Lorem.Paragraph());

        var error = _sandbox.LoadYamlFails("server: { frontend: { tls: { cert-file: fe.crt, key-file: fe.key } } }", "server.frontend.tls.cert-file", "fe.crt");

        Assert.Contains("no PEM certificate", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_KeyOfAnotherCertificate_ErrorNamesTheKeyFile()
    {
        WritePem("fe");
        WritePem("other");

        var error = _sandbox.LoadYamlFails("server: { frontend: { tls: { cert-file: fe.crt, key-file: other.key } } }", "server.frontend.tls.key-file", "other.key");

        Assert.Contains("private key", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_KeyFileHoldsACertificate_ErrorNamesTheKeyFile()
    {
        WritePem("fe");

        _sandbox.LoadYamlFails("server: { admin: { tls: { cert-file: fe.crt, key-file: fe.crt } } }", "server.admin.tls.key-file", "fe.crt");
    }

    [Fact]
    public void Load_Pkcs12WrongPassword_ErrorNamesThePfxFileWithoutThePassword()
    {
        WritePkcs12("fe.pfx", _faker.Internet.Password(18));
        var wrong = _faker.Internet.Password(19);
        _sandbox.Environment["FE_TLS_PFX_FILE"] = "fe.pfx";
        _sandbox.Environment["FE_TLS_PFX_PASSWORD"] = wrong;

        var error = _sandbox.LoadFails("FE_TLS_PFX_FILE", "fe.pfx");

        Assert.Contains("password", error.Expected, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Pkcs12WithoutPrivateKey_ErrorNamesThePfxFile()
    {
        using var certificate = SelfSigned();
        File.WriteAllBytes(Path.Combine(_sandbox.BaseDirectory, "public.pfx"), X509CertificateLoader.LoadCertificate(certificate.RawData).Export(X509ContentType.Pkcs12));

        var error = _sandbox.LoadYamlFails("server: { frontend: { tls: { pfx-file: public.pfx } } }", "server.frontend.tls.pfx-file", "public.pfx");

        Assert.Contains("no certificate with its private key", error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BackendCaFile_FromYamlOrEnvironment()
    {
        WritePem("ca");
        WritePem("ca2");

        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "ca.crt"), _sandbox.LoadYaml("upstream: { tls: { ca-file: ca.crt } }").BackendCaFile);
        _sandbox.Environment["BE_TLS_CA_FILE"] = "ca2.crt";
        Assert.Equal(Path.Combine(_sandbox.BaseDirectory, "ca2.crt"), _sandbox.LoadYaml("upstream: { tls: { ca-file: ca.crt } }").BackendCaFile);
    }

    [Theory]
    [InlineData("nowhere.pem", "does not exist")]
    [InlineData("garbage.pem", "no PEM certificate")]
    public void Load_BackendCaFileUnusable_ErrorNamesTheVariable(string file, string reason)
    {
        _sandbox.WriteFile("garbage.pem", _faker.Lorem.Paragraph());
        _sandbox.Environment["BE_TLS_CA_FILE"] = file;

        var error = _sandbox.LoadFails("BE_TLS_CA_FILE", file);

        Assert.Contains(reason, error.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_ListsTheSettingsWithTheirVariables()
    {
        var help = HelpText.Build().Split('\n');

        foreach (var (key, variable) in new[]
        {
            ("server.frontend.tls.cert-file", "FE_TLS_CERT_FILE"),
            ("server.frontend.tls.key-file", "FE_TLS_KEY_FILE"),
            ("server.frontend.tls.pfx-file", "FE_TLS_PFX_FILE"),
            ("server.frontend.tls.pfx-password", "FE_TLS_PFX_PASSWORD"),
            ("server.admin.tls.cert-file", "ADM_TLS_CERT_FILE"),
            ("server.admin.tls.key-file", "ADM_TLS_KEY_FILE"),
            ("server.admin.tls.pfx-file", "ADM_TLS_PFX_FILE"),
            ("server.admin.tls.pfx-password", "ADM_TLS_PFX_PASSWORD"),
            ("upstream.tls.ca-file", "BE_TLS_CA_FILE"),
        })
        {
            var line = Assert.Single(help, l => l.TrimStart().StartsWith(key + " ", StringComparison.Ordinal));
            Assert.Contains($" {variable} ", line, StringComparison.Ordinal);
        }
    }

    /// <summary>Writes <paramref name="name"/>.crt and <paramref name="name"/>.key (PEM) for a new self-signed server certificate.</summary>
    private void WritePem(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = SelfSigned(key);
        _sandbox.WriteFile(name + ".crt", certificate.ExportCertificatePem());
        _sandbox.WriteFile(name + ".key", key.ExportPkcs8PrivateKeyPem());
    }

    private void WritePkcs12(string file, string? password)
    {
        using var certificate = SelfSigned();
        File.WriteAllBytes(Path.Combine(_sandbox.BaseDirectory, file), certificate.Export(X509ContentType.Pkcs12, password));
    }

    private static X509Certificate2 SelfSigned(ECDsa? key = null)
    {
        using var own = key is null ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
        var request = new CertificateRequest("CN=localhost", key ?? own!, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}

using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Hosting;

/// <summary>Which configured file a certificate could not be loaded from.</summary>
internal enum CertificateFilePart
{
    /// <summary>The PEM certificate chain (<c>tls.cert-file</c>).</summary>
    Certificate,

    /// <summary>The PEM private key (<c>tls.key-file</c>).</summary>
    Key,

    /// <summary>The PKCS#12 file (<c>tls.pfx-file</c>, opened with <c>tls.pfx-password</c>).</summary>
    Pfx,
}

/// <summary>A listener's certificate files cannot be used; <see cref="Exception.Message"/> says why, never with the password.</summary>
internal sealed class CertificateLoadException(CertificateFilePart part, string message, Exception? inner = null) : Exception(message, inner)
{
    public CertificateFilePart Part { get; } = part;
}

/// <summary>
/// One loaded server certificate: the leaf with its private key, the intermediates the files hold, and the context
/// TLS handshakes send (leaf plus intermediates, so clients that know only the root can build the chain).
/// </summary>
internal sealed class ServerCertificate : IDisposable
{
    private readonly X509Certificate2Collection _intermediates;

    private ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates)
    {
        Leaf = leaf;
        _intermediates = intermediates;
        // offline: the chain is built from what the files hold; a handshake never waits on a download.
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    public X509Certificate2 Leaf { get; }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Reads the certificate the settings name.</summary>
    /// <exception cref="CertificateLoadException">A file is missing, unreadable, or does not hold a usable certificate and key.</exception>
    public static ServerCertificate Load(ListenerTlsSettings settings) =>
        settings.PfxFile is { } pfx ? LoadPkcs12(pfx, settings.PfxPassword) : LoadPem(settings.CertificateFile!, settings.KeyFile!);

    private static ServerCertificate LoadPem(string certificateFile, string keyFile)
    {
        var chainText = ReadText(certificateFile, CertificateFilePart.Certificate);
        var keyText = ReadText(keyFile, CertificateFilePart.Key);
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(chainText);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(CertificateFilePart.Certificate, $"not a PEM certificate chain ({ex.Message})", ex);
        }

        if (chain.Count == 0)
        {
            throw new CertificateLoadException(CertificateFilePart.Certificate, "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }

        X509Certificate2 leaf;
        try
        {
            // The first certificate of the file is the server's; the key must be its own.
            leaf = X509Certificate2.CreateFromPem(chainText, keyText);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException) // ArgumentException: the key is another certificate's
        {
            DisposeAll(chain);
            throw new CertificateLoadException(CertificateFilePart.Key, $"no unencrypted PEM private key matching the certificate ({ex.Message})", ex);
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++)
        {
            intermediates.Add(chain[i]);
        }

        chain[0].Dispose();
        return new ServerCertificate(Usable(leaf), intermediates);
    }

    private static ServerCertificate LoadPkcs12(string file, string? password)
    {
        var bytes = ReadBytes(file);
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12Collection(bytes, password);
        }
        catch (CryptographicException ex)
        {
            // The runtime's message does not carry the password; it is still left out, so nothing else can.
            throw new CertificateLoadException(CertificateFilePart.Pfx, "not a PKCS#12 file that the configured password opens (wrong password, or not PKCS#12)", ex);
        }

        X509Certificate2? leaf = null;
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (leaf is null && certificate.HasPrivateKey)
            {
                leaf = certificate;
            }
            else
            {
                intermediates.Add(certificate);
            }
        }

        if (leaf is null)
        {
            DisposeAll(intermediates);
            throw new CertificateLoadException(CertificateFilePart.Pfx, "the file holds no certificate with its private key");
        }

        return new ServerCertificate(leaf, intermediates);
    }

    // Windows' TLS stack cannot use a key that lives only in memory (as one read from PEM does); a PKCS#12 round trip
    // gives it a real key container. Elsewhere the key is used as it is.
    private static X509Certificate2 Usable(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }

    private static string ReadText(string file, CertificateFilePart part)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(part, file, ex);
        }
    }

    private static byte[] ReadBytes(string file)
    {
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(CertificateFilePart.Pfx, file, ex);
        }
    }

    private static CertificateLoadException Unreadable(CertificateFilePart part, string file, Exception ex) =>
        File.Exists(file) || Directory.Exists(file)
            ? new CertificateLoadException(part, $"the file cannot be read ({ex.Message})", ex)
            : new CertificateLoadException(part, "the file does not exist", ex);

    private static void DisposeAll(X509Certificate2Collection certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    public void Dispose()
    {
        Leaf.Dispose();
        DisposeAll(_intermediates);
    }
}

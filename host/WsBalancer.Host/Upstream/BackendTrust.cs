using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using WsBalancer.Host.Hosting;

namespace WsBalancer.Host.Upstream;

/// <summary>
/// Which certificates a wss:// backend may present: one the system trust store accepts for the URL's host, or, with
/// <c>upstream.tls.ca-file</c>, one for that host issued by a configured certificate authority. Both dials (the
/// message path's and the frame relay's) authenticate through it, so they accept and refuse the same backends.
/// </summary>
internal sealed class BackendTrust
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly X509Certificate2Collection? _authorities;

    private BackendTrust(X509Certificate2Collection? authorities) => _authorities = authorities;

    /// <summary>The system trust store alone.</summary>
    public static BackendTrust System { get; } = new(null);

    /// <summary>The system trust store plus the certificate authorities of a PEM file; the system store alone when null.</summary>
    /// <exception cref="CertificateLoadException">The file is missing, unreadable, or holds no PEM certificate.</exception>
    public static BackendTrust FromCaFile(string? path)
    {
        if (path is null)
        {
            return System;
        }

        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException(CertificateFilePart.Certificate, File.Exists(path) ? $"the file cannot be read ({ex.Message})" : "the file does not exist", ex);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(CertificateFilePart.Certificate, $"not PEM certificates ({ex.Message})", ex);
        }

        return authorities.Count > 0
            ? new BackendTrust(authorities)
            : throw new CertificateLoadException(CertificateFilePart.Certificate, "the file holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }

    /// <summary>Trusts the given authorities besides the system store (tests build their own).</summary>
    internal static BackendTrust FromAuthorities(X509Certificate2Collection authorities) => new(authorities);

    /// <summary>Runs the TLS client handshake for <paramref name="host"/> over <paramref name="inner"/>, which the returned stream owns.</summary>
    /// <exception cref="AuthenticationException">TLS failed; a refused certificate says why (its name, its chain).</exception>
    public async Task<SslStream> AuthenticateAsync(Stream inner, string host, CancellationToken cancellationToken)
    {
        string? refusal = null;
        var tls = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    RemoteCertificateValidationCallback = (_, certificate, chain, errors) => (refusal = Refusal(certificate, chain, errors)) is null,
                },
                cancellationToken);
            return tls;
        }
        catch (AuthenticationException) when (refusal is not null)
        {
            await tls.DisposeAsync();
            // Not wrapped: the runtime's message only says that a callback refused, which the reason already implies.
            throw new AuthenticationException($"the backend's certificate is not trusted: {refusal}");
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    /// <summary>Why the backend's certificate is refused, or null when it is accepted.</summary>
    private string? Refusal(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return null;
        }

        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return "the backend sent no certificate";
        }

        // A configured authority vouches for who issued a certificate, never for a name it was not issued to.
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return "it is not issued for the host of the backend URL";
        }

        var systemStatus = Describe(chain);
        if (_authorities is null)
        {
            return $"its chain is not accepted by the system trust store ({systemStatus}); upstream.tls.ca-file can name a private CA";
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // as the system path: SslStream checks no revocation by default
        custom.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf)
            ? null
            : $"its chain is accepted neither by the system trust store ({systemStatus}) nor by upstream.tls.ca-file ({Describe(custom)})";
    }

    private static string Describe(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0
            ? "no chain"
            : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
}

using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Hosting;

/// <summary>The certificates of both listeners (each null when its listener serves no TLS), owned by the host.</summary>
internal sealed class ListenerCertificates : IDisposable
{
    public CertificateReloader? Frontend { get; private set; }

    public CertificateReloader? Admin { get; private set; }

    /// <summary>The frontend's certificate, for a TLS handshake; set once <see cref="Start"/> has run.</summary>
    public CertificateReloader RequireFrontend() => Frontend ?? throw new InvalidOperationException("The frontend's certificate is not loaded yet.");

    /// <summary>The admin listener's certificate, for a TLS handshake; set once <see cref="Start"/> has run.</summary>
    public CertificateReloader RequireAdmin() => Admin ?? throw new InvalidOperationException("The admin listener's certificate is not loaded yet.");

    /// <summary>Loads the certificates the settings name and starts watching their files.</summary>
    /// <exception cref="ConfigurationErrorException">A file changed since the settings were read and no longer holds a usable certificate.</exception>
    public void Start(ServerSettings server, TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("WsBalancer.Host.Hosting");
        Frontend = Load(server.Frontend.Tls, ConfigKey.FrontendTls, "frontend", time, logger);
        Admin = Load(server.Admin.Tls, ConfigKey.AdminTls, "admin", time, logger);
    }

    private static CertificateReloader? Load(ListenerTlsSettings? settings, string section, string listener, TimeProvider time, ILogger logger)
    {
        if (settings is null)
        {
            return null;
        }

        try
        {
            return CertificateReloader.Start(settings, listener, time, logger);
        }
        catch (CertificateLoadException ex)
        {
            throw new ConfigurationErrorException(ConfigKey.ToDisplayPath(section), null, $"certificate files that can be loaded ({ex.Part}: {ex.Message})");
        }
    }

    public void Dispose()
    {
        Frontend?.Dispose();
        Admin?.Dispose();
    }
}

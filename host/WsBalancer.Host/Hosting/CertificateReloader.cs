using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// A listener's current certificate: loaded from its configured files, and loaded again when their content changes
/// (a renewal), so that new TLS handshakes get the new certificate while live connections go on as they are.
/// </summary>
/// <remarks>
/// A <see cref="FileSystemWatcher"/> on the files' directories starts a quiet period that every further event
/// restarts, so a renewal written file by file is read once, whole. A slow poll backs the watcher up where its events
/// do not arrive (network shares, some container volumes). Either way the files are loaded only when their content
/// differs from the certificate's and from the last content that failed: a half-written file fails to load, the old
/// certificate stays, one warning is logged, and the write that completes it triggers the next load.
/// </remarks>
internal sealed class CertificateReloader : IDisposable
{
    /// <summary>How long the files must stay unchanged before they are read.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the files are checked when no watcher event came.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(10);

    private readonly ListenerTlsSettings _settings;
    private readonly string _listener;
    private readonly ILogger _logger;
    private readonly Lock _checkGate = new();
    private readonly List<ServerCertificate> _retired = [];
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly ITimer _quietTimer;
    private readonly ITimer _pollTimer;
    private ServerCertificate _current;
    private string _loadedFingerprint;
    private string? _failedFingerprint;
    private bool _disposed;

    private CertificateReloader(ListenerTlsSettings settings, string listener, ServerCertificate first, string fingerprint, TimeProvider time, ILogger logger)
    {
        _settings = settings;
        _listener = listener;
        _logger = logger;
        _current = first;
        _loadedFingerprint = fingerprint;
        _quietTimer = time.CreateTimer(_ => Check(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _pollTimer = time.CreateTimer(_ => Check(), null, PollInterval, PollInterval);
        foreach (var directory in settings.Files.Select(Path.GetDirectoryName).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            // The whole directory: a renewal may replace a file by a rename, or (Kubernetes secrets) swap a symlinked folder.
            var watcher = new FileSystemWatcher(directory)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, _) => Restart();
            watcher.Created += (_, _) => Restart();
            watcher.Deleted += (_, _) => Restart();
            watcher.Renamed += (_, _) => Restart();
            watcher.Error += (_, _) => Restart(); // events were lost: look at the files anyway
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>Raised after a new certificate replaced the old one (on a timer thread).</summary>
    public event Action<X509Certificate2>? CertificateChanged;

    /// <summary>What a TLS handshake of the listener sends now.</summary>
    public ServerCertificate Current => Volatile.Read(ref _current);

    /// <summary>Loads the certificate and starts watching its files.</summary>
    /// <param name="listener">The listener's name in the log: frontend or admin.</param>
    /// <exception cref="CertificateLoadException">The files do not hold a usable certificate.</exception>
    public static CertificateReloader Start(ListenerTlsSettings settings, string listener, TimeProvider time, ILogger logger)
    {
        var fingerprint = Fingerprint(settings);
        var first = ServerCertificate.Load(settings);
        var reloader = new CertificateReloader(settings, listener, first, fingerprint, time, logger);
        Loaded(logger, listener, first.Leaf);
        return reloader;
    }

    private void Restart() => _quietTimer.Change(QuietPeriod, Timeout.InfiniteTimeSpan);

    private void Check()
    {
        X509Certificate2? changed = null;
        try
        {
            lock (_checkGate)
            {
                if (_disposed)
                {
                    return;
                }

                var fingerprint = Fingerprint(_settings);
                if (fingerprint == _loadedFingerprint || fingerprint == _failedFingerprint)
                {
                    return;
                }

                ServerCertificate next;
                try
                {
                    next = ServerCertificate.Load(_settings);
                }
                catch (CertificateLoadException ex)
                {
                    _failedFingerprint = fingerprint;
                    HostingLog.CertificateReloadFailed(_logger, _listener, $"{ex.Part}: {ex.Message}");
                    return;
                }

                // A handshake that took the old certificate a moment ago may still be using it: it is disposed at shutdown only.
                _retired.Add(Interlocked.Exchange(ref _current, next));
                _loadedFingerprint = fingerprint;
                _failedFingerprint = null;
                changed = next.Leaf;
                Loaded(_logger, _listener, next.Leaf);
            }

            CertificateChanged?.Invoke(changed);
        }
        catch (Exception ex)
        {
            // A timer callback: nothing above it would see the exception, and the old certificate still serves.
            HostingLog.CertificateCheckFailed(_logger, _listener, ex);
        }
    }

    private static void Loaded(ILogger logger, string listener, X509Certificate2 certificate) =>
        HostingLog.CertificateLoaded(logger, listener, certificate.Subject, certificate.Thumbprint, certificate.NotAfter.ToUniversalTime());

    /// <summary>A hash of the files' content, or of why they cannot be read: equal fingerprints need no new load.</summary>
    private static string Fingerprint(ListenerTlsSettings settings)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in settings.Files)
        {
            try
            {
                var content = File.ReadAllBytes(file);
                hash.AppendData(BitConverter.GetBytes(content.Length));
                hash.AppendData(content);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"unreadable {file}: {ex.Message}";
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public void Dispose()
    {
        lock (_checkGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _quietTimer.Dispose();
        _pollTimer.Dispose();
        foreach (var certificate in _retired)
        {
            certificate.Dispose();
        }

        _current.Dispose();
    }
}

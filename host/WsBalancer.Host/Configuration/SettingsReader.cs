using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Hosting;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Scripting;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// Reads and validates <see cref="BalancerSettings"/> from the merged configuration. A missing or empty value takes the
/// default of the settings records; a bad one throws <see cref="ConfigurationErrorException"/> naming where it came from.
/// </summary>
internal sealed class SettingsReader
{
    public const int MaxBufferBytes = 16 * 1024 * 1024;
    public const int MinHeaderBytes = 1024;
    public const int MaxHeaderBytes = 64 * 1024 * 1024;
    public const long MinPendingBytes = 1024;
    public const int MaxMessageBytes = 1024 * 1024 * 1024;
    public const int MinAdminTokenLength = 16;
    public const int MaxAuthFailureLimit = 1_000_000;
    public const int MaxAuthFailureAddresses = 1_000_000;

    // Whole seconds (Retry-After counts in them), and at most a day: a longer lock-out is an outage, not a slow-down.
    public static readonly TimeSpan MinAuthFailureWindow = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxAuthFailureWindow = TimeSpan.FromHours(24);

    // Stands in for the admin token in error messages: the secret must not reach a terminal, a log or a CI transcript.
    public const string RedactedValue = "<redacted>";

    // Task.Delay and timers take at most int.MaxValue milliseconds (about 24.8 days).
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(24);

    private static readonly string[] AncestorLogLevels = ["TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "PANIC", "NONE"];

    private readonly LayeredValues _values;
    private readonly IConfiguration _configuration;
    private readonly string _baseDirectory;

    private SettingsReader(LayeredValues values, string baseDirectory)
    {
        _values = values;
        _configuration = values.ToConfiguration();
        _baseDirectory = baseDirectory;
    }

    /// <param name="baseDirectory">The current directory, against which a relative <c>server.data-dir</c> is resolved.</param>
    public static BalancerSettings Read(LayeredValues values, string baseDirectory) => new SettingsReader(values, baseDirectory).Read();

    private BalancerSettings Read()
    {
        var d = new ServerSettings();
        var server = new ServerSettings
        {
            Frontend = ReadListener("server:frontend", d.Frontend) with { Tls = ListenerTls(ConfigKey.FrontendTls) },
            Admin = ReadListener("server:admin", d.Admin) with { Tls = ListenerTls(ConfigKey.AdminTls) },
            FrontendMaxSessions = Integer(ConfigKey.FrontendMaxSessions, d.FrontendMaxSessions, 0, int.MaxValue),
            FrontendMaxSessionsPerAddress = Integer(ConfigKey.FrontendMaxSessionsPerAddress, d.FrontendMaxSessionsPerAddress, 0, int.MaxValue),
            ReadBufferSize = (int)Size("server:read-buffer-size", d.ReadBufferSize, 1, MaxBufferBytes),
            WriteBufferSize = (int)Size("server:write-buffer-size", d.WriteBufferSize, 1, MaxBufferBytes),
            TrustReceivedXff = Boolean("server:trust-received-xff", d.TrustReceivedXff),
            BlockHeaders = HeaderNames(ConfigKey.BlockHeaders),
            ReconnectHeader = HeaderName("server:reconnect-header", d.ReconnectHeader),
            EnableInstrumentation = Boolean("server:enable-instrumentation", d.EnableInstrumentation),
            LoggingLevel = LogLevelName("server:logging-level", d.LoggingLevel),
            Compression = Boolean("server:compression", d.Compression),
            FrameRelay = Boolean("server:frame-relay", d.FrameRelay),
            InlineIo = Boolean("server:inline-io", d.InlineIo),
            MaxPendingMessages = Integer("server:max-pending-messages", d.MaxPendingMessages, 1, int.MaxValue),
            MaxPendingBytes = Size("server:max-pending-bytes", d.MaxPendingBytes, MinPendingBytes, long.MaxValue),
            MaxMessageBytes = (int)Size("server:max-message-size", d.MaxMessageBytes, 1, MaxMessageBytes),
            BufferBudget = Budget(ConfigKey.BufferBudget, d.BufferBudget),
            FailoverDrainTimeout = Duration("server:failover-drain-timeout", d.FailoverDrainTimeout, allowZero: true),
            DrainTimeout = Duration(ConfigKey.DrainTimeout, d.DrainTimeout, allowZero: true),
            IdleTimeout = Duration(ConfigKey.IdleTimeout, d.IdleTimeout, allowZero: true),
            TcpKeepAlive = Duration("server:tcp-keepalive", d.TcpKeepAlive, allowZero: true),
            StallTimeout = Duration(ConfigKey.StallTimeout, d.StallTimeout, allowZero: true),
            DataDirectory = DataDirectory(ConfigKey.DataDirectory, d.DataDirectory),
            AdminToken = AdminToken(ConfigKey.AdminToken),
            AdminReadToken = AdminReadToken(),
            AdminAllowInsecure = Boolean("server:admin:allow-insecure", d.AdminAllowInsecure),
            AdminAuthFailureLimit = Integer(ConfigKey.AdminAuthFailureLimit, d.AdminAuthFailureLimit, 0, MaxAuthFailureLimit),
            AdminAuthFailureWindow = AuthFailureWindow(ConfigKey.AdminAuthFailureWindow, d.AdminAuthFailureWindow),
            AdminAuthFailureAddresses = Integer(ConfigKey.AdminAuthFailureAddresses, d.AdminAuthFailureAddresses, 1, MaxAuthFailureAddresses),
        };
        return new BalancerSettings
        {
            Server = server,
            Backends = ReadBackends(),
            BackendCaFile = BackendCaFile(ConfigKey.BackendCaFile),
            Plugins = ReadPlugins(),
            Scripts = ReadScripts(server.MaxMessageBytes),
        };
    }

    /// <summary>
    /// A listener's certificate: cert-file with key-file, or pfx-file (with pfx-password when it has one). The files
    /// are read once here, so that a certificate the listener could not use stops the start with the key that names it.
    /// </summary>
    private ListenerTlsSettings? ListenerTls(string section)
    {
        var certificateKey = $"{section}:{ConfigKey.TlsCertificateFile}";
        var keyKey = $"{section}:{ConfigKey.TlsKeyFile}";
        var pfxKey = $"{section}:{ConfigKey.TlsPfxFile}";
        var passwordKey = $"{section}:{ConfigKey.TlsPfxPassword}";
        var certificate = Raw(certificateKey);
        var key = Raw(keyKey);
        var pfx = Raw(pfxKey);

        // Not trimmed: a password may begin or end with a space.
        var password = _configuration[passwordKey] is { Length: > 0 } secret ? secret : null;
        if (pfx is not null && (certificate ?? key) is not null)
        {
            throw Error(pfxKey, pfx, $"either a PKCS#12 file or {ConfigKey.ToDisplayPath(certificateKey)} with {ConfigKey.ToDisplayPath(keyKey)}, not both");
        }

        if (password is not null && pfx is null)
        {
            throw Error(passwordKey, RedactedValue, $"a password only together with {ConfigKey.ToDisplayPath(pfxKey)}");
        }

        if (pfx is null && certificate is null && key is null)
        {
            return null;
        }

        if (pfx is null && certificate is null)
        {
            throw Error(certificateKey, null, $"a PEM certificate chain file together with {ConfigKey.ToDisplayPath(keyKey)}");
        }

        if (pfx is null && key is null)
        {
            throw Error(keyKey, null, $"a PEM private key file together with {ConfigKey.ToDisplayPath(certificateKey)}");
        }

        var settings = pfx is not null
            ? new ListenerTlsSettings { PfxFile = PathSetting(pfxKey, pfx, "a file path"), PfxPassword = password }
            : new ListenerTlsSettings { CertificateFile = PathSetting(certificateKey, certificate!, "a file path"), KeyFile = PathSetting(keyKey, key!, "a file path") };
        try
        {
            ServerCertificate.Load(settings).Dispose();
        }
        catch (CertificateLoadException ex)
        {
            throw ex.Part switch
            {
                CertificateFilePart.Certificate => Error(certificateKey, certificate, $"a PEM certificate chain file: {ex.Message}"),
                CertificateFilePart.Key => Error(keyKey, key, $"the PEM private key of {ConfigKey.ToDisplayPath(certificateKey)}: {ex.Message}"),
                _ => Error(pfxKey, pfx, $"a PKCS#12 file with a certificate and its private key: {ex.Message}"),
            };
        }

        return settings;
    }

    private string? BackendCaFile(string key)
    {
        if (Raw(key) is not { } raw)
        {
            return null;
        }

        var path = PathSetting(key, raw, "a file path");
        try
        {
            BackendTrust.FromCaFile(path);
        }
        catch (CertificateLoadException ex)
        {
            throw Error(key, raw, $"a PEM file of CA certificates: {ex.Message}");
        }

        return path;
    }

    private ListenerSettings ReadListener(string key, ListenerSettings defaults) => new()
    {
        Address = Address($"{key}:address", defaults.Address),
        ReadTimeout = Duration($"{key}:read-timeout", defaults.ReadTimeout, allowZero: false),
        WriteTimeout = Duration($"{key}:write-timeout", defaults.WriteTimeout, allowZero: false),
        MaxHeaderBytes = (int)Size($"{key}:max-header-bytes", defaults.MaxHeaderBytes, MinHeaderBytes, MaxHeaderBytes),
    };

    private List<BackendSettings> ReadBackends()
    {
        var indexes = new List<(int Number, string Text)>();
        foreach (var index in _values.BackendIndexes())
        {
            if (!int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                throw new ConfigurationErrorException($"{ConfigKey.ToDisplayPath(ConfigKey.Backends)}.{index}", null, "backends as a list: upstream.backends[0], upstream.backends[1], …");
            }

            indexes.Add((number, index));
        }

        var backends = new List<BackendSettings>();
        var idOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var urlOwners = new Dictionary<Uri, string>();
        foreach (var (_, index) in indexes.OrderBy(item => item.Number))
        {
            var backend = ReadBackend(index);
            var idKey = ConfigKey.Backend(index, "id");
            var urlKey = ConfigKey.Backend(index, "url");
            if (!urlOwners.TryAdd(backend.Url, BackendPath(index)))
            {
                throw Error(urlKey, Raw(urlKey), $"a URL not already used by {urlOwners[backend.Url]}");
            }

            if (!idOwners.TryAdd(backend.Id, BackendPath(index)))
            {
                throw Raw(idKey) is null
                    ? Error(urlKey, Raw(urlKey), $"a backend with an explicit id: the default id '{backend.Id}' is already used by {idOwners[backend.Id]}")
                    : Error(idKey, backend.Id, $"an id not already used by {idOwners[backend.Id]}");
            }

            backends.Add(backend);
        }

        return backends;
    }

    private BackendSettings ReadBackend(string index)
    {
        var urlKey = ConfigKey.Backend(index, "url");
        var rawUrl = Raw(urlKey);
        if (rawUrl is null
            || !Uri.TryCreate(rawUrl, UriKind.Absolute, out var url)
            || url.Scheme is not ("ws" or "wss")
            || url.Host.Length == 0)
        {
            throw Error(urlKey, rawUrl, "a ws:// or wss:// URL");
        }

        var idKey = ConfigKey.Backend(index, "id");
        var id = Raw(idKey) ?? BackendId.FromUrl(rawUrl);
        if (!BackendId.IsValid(id))
        {
            throw Error(idKey, id, BackendId.Expected);
        }

        var d = new BackendSettings { Url = url, Id = id };
        var codes = CloseCodes(ConfigKey.Backend(index, ConfigKey.AbnormalCloseCodes));
        return d with
        {
            PingTime = Duration(ConfigKey.Backend(index, "ping-time"), d.PingTime, allowZero: false),
            HandshakeTimeout = Duration(ConfigKey.Backend(index, "handshake-timeout"), d.HandshakeTimeout, allowZero: false),
            BreakerThreshold = Integer(ConfigKey.Backend(index, "breaker-threshold"), d.BreakerThreshold, int.MinValue, int.MaxValue),
            PassHeaders = HeaderNames(ConfigKey.Backend(index, ConfigKey.PassHeaders)),

            // As in the ancestor, an empty list means the default codes.
            AbnormalCloseCodes = codes.Count > 0 ? codes : d.AbnormalCloseCodes,
            ReadBufferSize = (int)Size(ConfigKey.Backend(index, "read-buffer-size"), d.ReadBufferSize, 1, MaxBufferBytes),
            WriteBufferSize = (int)Size(ConfigKey.Backend(index, "write-buffer-size"), d.WriteBufferSize, 1, MaxBufferBytes),
        };
    }

    private ScriptSettings ReadScripts(int maxMessageBytes)
    {
        var d = new ScriptSettings();
        var limits = d.Limits;
        var timeout = Duration("scripts:timeout", limits.Timeout, allowZero: false);
        var regexTimeout = Duration("scripts:regex-timeout", limits.RegexTimeout, allowZero: false);
        foreach (var (key, value) in new[] { ("scripts:timeout", timeout), ("scripts:regex-timeout", regexTimeout) })
        {
            if (value > TimeSpan.FromSeconds(10))
            {
                throw Error(key, Raw(key), "a Go duration greater than 0s and at most 10s, such as 50ms: a script call holds a session's messages");
            }
        }

        return d with
        {
            Directory = PathSetting(ConfigKey.ScriptsDirectory, d.Directory, "a directory path"),
            Limits = limits with
            {
                Timeout = timeout,
                RegexTimeout = regexTimeout,
                MaxStatements = Integer("scripts:max-statements", limits.MaxStatements, 1, 100_000_000),
                MaxMemoryBytes = Size("scripts:max-memory", limits.MaxMemoryBytes, 64 * 1024, 256L * 1024 * 1024),
                MaxRecursionDepth = Integer("scripts:max-recursion-depth", limits.MaxRecursionDepth, 1, 1000),
                MaxMessageBytes = (int)Size("scripts:max-message-size", Math.Min(limits.MaxMessageBytes, maxMessageBytes), 1, maxMessageBytes),
            },
            QuarantineAfter = Integer("scripts:quarantine-after", d.QuarantineAfter, 1, 1_000_000),
            SessionBudget = Duration("scripts:session-budget", d.SessionBudget, allowZero: false),
            SessionBudgetWindow = Duration("scripts:session-budget-window", d.SessionBudgetWindow, allowZero: false),
            EngineIdleTimeout = Duration("scripts:engine-idle-timeout", d.EngineIdleTimeout, allowZero: true),
        };
    }

    private PluginSettings ReadPlugins()
    {
        var d = new PluginSettings();
        var entries = new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, entry) in _values.EntriesUnder(ConfigKey.Plugins + ":"))
        {
            var segments = key.Split(':', 4);
            if (segments.Length < 2 || segments[1].Equals("order", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var name = segments[1];
            if (!PluginName.IsValid(name))
            {
                throw new ConfigurationErrorException(entry.Origin, null, $"a plugin name under plugins: ({PluginName.Expected})");
            }

            var current = entries.GetValueOrDefault(name) ?? new PluginEntrySettings();
            if (segments is [_, _, "enabled"])
            {
                current = current with { Enabled = Boolean(key, true) };
            }
            else if (segments.Length >= 4 && segments[2] == "settings")
            {
                var settings = new Dictionary<string, string>(current.Settings, StringComparer.OrdinalIgnoreCase) { [segments[3]] = entry.Value };
                current = current with { Settings = settings };
            }
            else
            {
                throw new ConfigurationErrorException(entry.Origin, entry.Value, $"plugins.{name}.enabled or plugins.{name}.settings.<key>");
            }

            entries[name] = current;
        }

        var order = new List<string>();
        foreach (var item in _values.GetList(ConfigKey.PluginOrder))
        {
            var name = item.Value.Trim();
            if (!PluginName.IsValid(name))
            {
                throw new ConfigurationErrorException(item.Origin, item.Value, $"plugin names ({PluginName.Expected})");
            }

            order.Add(name);
        }

        return new PluginSettings
        {
            Directory = PathSetting(ConfigKey.PluginsDirectory, d.Directory, "a directory path"),
            Dialer = DialerName(ConfigKey.Dialer, d.Dialer),
            Order = order,
            Entries = entries,
        };
    }

    private string DialerName(string key, string defaultValue)
    {
        var raw = Raw(key);
        if (raw is null || raw.Equals(PluginSettings.BuiltInDialer, StringComparison.OrdinalIgnoreCase))
        {
            return defaultValue;
        }

        var slash = raw.IndexOf('/');
        return slash > 0 && slash < raw.Length - 1 && PluginName.IsValid(raw[..slash]) && raw.IndexOf('/', slash + 1) < 0
            ? raw
            : throw Error(key, raw, $"{PluginSettings.BuiltInDialer} (the built-in WebSocket upstream) or <Plugin>/<TypeName> of a plugin dialer, such as HttpBridge/HttpBridgeDialer");
    }

    private string PathSetting(string key, string defaultValue, string expected)
    {
        var raw = Raw(key) ?? defaultValue;
        try
        {
            return Path.GetFullPath(raw, _baseDirectory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Error(key, raw, expected);
        }
    }

    private ListenAddress Address(string key, ListenAddress defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        return ListenAddress.TryParse(raw, out var address)
            ? address
            : throw Error(key, raw, "a listen address host:port such as :8080 or 127.0.0.1:8081");
    }

    private TimeSpan Duration(string key, TimeSpan defaultValue, bool allowZero)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        var max = GoDuration.Format(MaxDuration);
        if (!GoDuration.TryParse(raw, out var value) || value < TimeSpan.Zero || value > MaxDuration || (value == TimeSpan.Zero && !allowZero))
        {
            throw Error(key, raw, allowZero
                ? $"a Go duration from 0s to {max}, such as 5s or 500ms"
                : $"a Go duration greater than 0s and at most {max}, such as 10s or 1m30s");
        }

        return value;
    }

    private TimeSpan AuthFailureWindow(string key, TimeSpan defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!GoDuration.TryParse(raw, out var value) || value < MinAuthFailureWindow || value > MaxAuthFailureWindow)
        {
            throw Error(key, raw, $"a Go duration from {GoDuration.Format(MinAuthFailureWindow)} to {GoDuration.Format(MaxAuthFailureWindow)}, such as 1m or 30s");
        }

        return value;
    }

    private long Size(string key, long defaultValue, long min, long max)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!ByteSize.TryParse(raw, out var value) || value < min || value > max)
        {
            var range = max == long.MaxValue ? $"at least {ByteSize.Describe(min)}" : $"from {ByteSize.Describe(min)} to {ByteSize.Describe(max)}";
            throw Error(key, raw, $"a size in bytes {range}: an integer, optionally with a unit (KiB, MiB, GiB, KB, MB, GB)");
        }

        return value;
    }

    private long Budget(string key, long defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        return BufferBudgetText.TryParse(raw, out var bytes)
            ? bytes
            : throw Error(key, raw, "a size in bytes of at least 1MiB (an integer, optionally with a unit: KiB, MiB, GiB, KB, MB, GB) or a percentage of the process's memory from 1% to 90%, such as 25%");
    }

    private int Integer(string key, int defaultValue, int min, int max)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Error(key, raw, (min, max) switch
            {
                (int.MinValue, int.MaxValue) => "an integer",
                (_, int.MaxValue) => $"an integer of at least {min.ToString(CultureInfo.InvariantCulture)}",
                _ => $"an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}",
            });
        }

        return value;
    }

    private bool Boolean(string key, bool defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        return BooleanText.TryParse(raw, out var value) ? value : throw Error(key, raw, BooleanText.Expected);
    }

    private string HeaderName(string key, string defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        return HttpToken.IsValid(raw) ? raw : throw Error(key, raw, HttpToken.Expected);
    }

    private List<string> HeaderNames(string listKey)
    {
        var names = new List<string>();
        foreach (var item in _values.GetList(listKey))
        {
            var name = item.Value.Trim();
            if (!HttpToken.IsValid(name))
            {
                throw new ConfigurationErrorException(item.Origin, item.Value, HttpToken.Expected);
            }

            names.Add(name);
        }

        return names;
    }

    private List<int> CloseCodes(string listKey)
    {
        var codes = new List<int>();
        foreach (var item in _values.GetList(listKey))
        {
            if (!int.TryParse(item.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) || code is < 1000 or > 4999)
            {
                throw new ConfigurationErrorException(item.Origin, item.Value, "WebSocket close codes from 1000 to 4999");
            }

            codes.Add(code);
        }

        return codes;
    }

    private string LogLevelName(string key, string defaultValue)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return defaultValue;
        }

        return AncestorLogLevels.Contains(raw, StringComparer.OrdinalIgnoreCase) || Enum.GetNames<LogLevel>().Contains(raw, StringComparer.OrdinalIgnoreCase)
            ? raw
            : throw Error(key, raw, $"one of {string.Join(", ", AncestorLogLevels)} or a .NET log level ({string.Join(", ", Enum.GetNames<LogLevel>())})");
    }

    private string DataDirectory(string key, string defaultValue)
    {
        var raw = Raw(key) ?? defaultValue;
        if (raw == ServerSettings.InMemoryDataDirectory)
        {
            return raw;
        }

        try
        {
            return Path.GetFullPath(raw, _baseDirectory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Error(key, raw, $"a directory path, or {ServerSettings.InMemoryDataDirectory} to keep the backends in memory only");
        }
    }

    private string? AdminToken(string key)
    {
        var raw = Raw(key);
        if (raw is null)
        {
            return null;
        }

        // Control characters cannot travel in an Authorization header, so such a token could never be presented.
        if (raw.Length < MinAdminTokenLength || raw.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw Error(key, RedactedValue, $"a token of at least {MinAdminTokenLength.ToString(CultureInfo.InvariantCulture)} characters without whitespace or control characters");
        }

        return raw;
    }

    // A read token alone would guard the reads and leave every action open, the opposite of what its name promises.
    private string? AdminReadToken()
    {
        var key = ConfigKey.AdminReadToken;
        var readToken = AdminToken(key);
        if (readToken is null)
        {
            return null;
        }

        var adminToken = Raw(ConfigKey.AdminToken);
        if (adminToken is null)
        {
            throw Error(key, RedactedValue, "a read-only token only together with an admin token (server.admin.token / ADM_TOKEN): alone it would leave every action unprotected");
        }

        if (readToken == adminToken)
        {
            throw Error(key, RedactedValue, "a read-only token different from the admin token");
        }

        return readToken;
    }

    private string? Raw(string key) => _configuration[key]?.Trim() is { Length: > 0 } value ? value : null;

    private ConfigurationErrorException Error(string key, string? value, string expected) => new(_values.Origin(key), value, expected);

    private static string BackendPath(string index) => ConfigKey.ToDisplayPath($"{ConfigKey.Backends}:{index}");
}

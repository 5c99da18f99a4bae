using System.Globalization;

namespace WsBalancer.Host.Configuration;

/// <summary>One documented setting: its configuration key, the ancestor's environment variable for it, its default.</summary>
/// <param name="Key">Server settings: the full key (<c>server:frontend:address</c>); backend settings: the name within a backend (<c>ping-time</c>).</param>
internal sealed record SettingDescriptor(string Key, string? EnvironmentVariable, string Default, string Description);

/// <summary>Every setting the loader reads. The help text is built from it and the ancestor's server variables are mapped by it.</summary>
internal static class SettingCatalog
{
    public static IReadOnlyList<SettingDescriptor> Server { get; } = BuildServer();

    public static IReadOnlyList<SettingDescriptor> Backend { get; } = BuildBackend();

    public static IReadOnlyList<SettingDescriptor> Plugin { get; } =
    [
        new("enabled", null, "true (bundled: false)", "load the plugin; first-party plugins built with the host load only when true"),
        new("settings.<key>", null, "(none)", "key/values handed to the plugin (IPluginContext.Settings)"),
    ];

    private static List<SettingDescriptor> BuildServer()
    {
        var d = new ServerSettings();
        var p = new WsBalancer.Host.Plugins.PluginSettings();
        var s = new WsBalancer.Host.Scripting.ScriptSettings();
        return
        [
            new("server:frontend:address", "FE_ADDR", d.Frontend.Address.ToString(), "WebSocket listener, host:port (empty host: every interface)"),
            new("server:frontend:read-timeout", "FE_READ_TIMEOUT", GoDuration.Format(d.Frontend.ReadTimeout), "time allowed to receive the request headers"),
            new("server:frontend:write-timeout", "FE_WRITE_TIMEOUT", GoDuration.Format(d.Frontend.WriteTimeout), "longest single write to a client (YAML alias: wite-timeout)"),
            new("server:frontend:max-header-bytes", "FE_MAX_HDR_BYTES", Number(d.Frontend.MaxHeaderBytes), "largest request headers, bytes"),
            new(ConfigKey.FrontendMaxSessions, "FE_MAX_SESSIONS", Number(d.FrontendMaxSessions), "most client sessions at once, dials included; one more gets 503 (0: no limit)"),
            new(ConfigKey.FrontendMaxSessionsPerAddress, "FE_MAX_SESSIONS_PER_ADDR", Number(d.FrontendMaxSessionsPerAddress), "most client sessions at once from one address (IPv6: /64); one more gets 503 (0: no limit)"),
            .. Tls(ConfigKey.FrontendTls, "FE", "the WebSocket listener (wss://)"),
            new("server:admin:address", "ADM_ADDR", d.Admin.Address.ToString(), "admin API listener, host:port"),
            new("server:admin:read-timeout", "ADM_READ_TIMEOUT", GoDuration.Format(d.Admin.ReadTimeout), "time allowed to receive the request headers"),
            new("server:admin:write-timeout", "ADM_WRITE_TIMEOUT", GoDuration.Format(d.Admin.WriteTimeout), "longest response write (YAML alias: wite-timeout)"),
            new("server:admin:max-header-bytes", "ADM_MAX_HDR_BYTES", Number(d.Admin.MaxHeaderBytes), "largest request headers, bytes"),
            .. Tls(ConfigKey.AdminTls, "ADM", "the admin listener (https://)"),
            new("server:read-buffer-size", "FE_RB_SIZE", Number(d.ReadBufferSize), "client-leg receive chunk, bytes (rented per message)"),
            new("server:write-buffer-size", "FE_WB_SIZE", Number(d.WriteBufferSize), "accepted for compatibility; no effect"),
            new("server:trust-received-xff", "FE_TRUST_XFF", Bool(d.TrustReceivedXff), "append to a client's X-Forwarded-For (false: replace it)"),
            new(ConfigKey.BlockHeaders, "BLOCK_HEADERS", "(none)", "client headers never passed to a backend (list)"),
            new("server:reconnect-header", "RECONNECT_HDR", d.ReconnectHeader, "header sent with 1 on a failover dial"),
            new("server:enable-instrumentation", "ENABLE_INST", Bool(d.EnableInstrumentation), "per-message instrumentation"),
            new("server:logging-level", "LOG_LEVEL", d.LoggingLevel, "TRACE, DEBUG, INFO, WARN, ERROR, FATAL, PANIC, NONE or a .NET level"),
            new("server:compression", null, Bool(d.Compression), "offer permessage-deflate to clients"),
            new("server:frame-relay", null, Bool(d.FrameRelay), "relay sessions without valves, scripts or compression frame by frame"),
            new("server:inline-io", null, Bool(d.InlineIo), "run socket completions on the socket event threads (no thread-pool hand-off per read)"),
            new("server:max-pending-messages", null, Number(d.MaxPendingMessages), "client messages held per session while it re-dials"),
            new("server:max-pending-bytes", null, ByteSize.Describe(d.MaxPendingBytes), "client bytes held per session while it re-dials"),
            new("server:max-message-size", null, ByteSize.Describe(d.MaxMessageBytes), "largest single message, bytes (larger: close 1009)"),
            new(ConfigKey.BufferBudget, "BUFFER_BUDGET", BufferBudgetText.DescribeDefault(), "message bytes all sessions may hold; over it the largest holders are back-pressured (bytes or a % of memory)"),
            new("server:failover-drain-timeout", null, GoDuration.Format(d.FailoverDrainTimeout), "wait for the old backend's last replies on failover"),
            new(ConfigKey.DrainTimeout, "DRAIN_TIMEOUT", GoDuration.Format(d.DrainTimeout), "on SIGTERM or Ctrl+C, time live sessions get to end before the rest are closed with 1001 (0: at once)"),
            new(ConfigKey.IdleTimeout, "IDLE_TIMEOUT", GoDuration.Format(d.IdleTimeout), "close a session with 1000 after this long with no message either way and no frame from the client (0: off)"),
            new("server:tcp-keepalive", null, GoDuration.Format(d.TcpKeepAlive), "TCP keepalive on client connections: probes after this long without traffic, dropped after 3 unanswered (0: the system's default, off)"),
            new(ConfigKey.StallTimeout, "STALL_TIMEOUT", GoDuration.Format(d.StallTimeout), "drop a backend that takes nothing the client sends for this long; the client gets 1013 (0: off)"),
            new(ConfigKey.DataDirectory, "DATA_DIR", d.DataDirectory, $"backend database directory (also --data-dir); {ServerSettings.InMemoryDataDirectory} = in memory only"),
            new(ConfigKey.AdminToken, "ADM_TOKEN", "(none)", $"bearer token for the admin API: at least {SettingsReader.MinAdminTokenLength} characters, no whitespace"),
            new(ConfigKey.AdminReadToken, "ADM_READ_TOKEN", "(none)", "bearer token that may call every GET of the admin API and nothing else; needs server.admin.token"),
            new("server:admin:allow-insecure", "ADM_ALLOW_INSECURE", Bool(d.AdminAllowInsecure), "serve the admin API on a non-loopback address without a token"),
            new(ConfigKey.AdminAuthFailureLimit, "ADM_AUTH_FAILURE_LIMIT", Number(d.AdminAuthFailureLimit), "wrong tokens one address may send per window before it gets 429 (0: off)"),
            new(ConfigKey.AdminAuthFailureWindow, "ADM_AUTH_FAILURE_WINDOW", GoDuration.Format(d.AdminAuthFailureWindow), "window of auth-failure-limit, from the first failure (1s to 24h)"),
            new(ConfigKey.AdminAuthFailureAddresses, "ADM_AUTH_FAILURE_ADDRESSES", Number(d.AdminAuthFailureAddresses), "addresses (IPv6: /64) counted apart; beyond, new ones share one count"),
            new(ConfigKey.PluginsDirectory, "PLUGINS_DIR", p.Directory, "directory watched for plugin folders <Name>/<Name>.dll (also --plugins-dir)"),
            new(ConfigKey.BackendCaFile, "BE_TLS_CA_FILE", "(system store)", "PEM file of CA certificates trusted for wss:// backends, beside the system store"),
            new(ConfigKey.Dialer, null, p.Dialer, "active dialer: websocket (built in) or <Plugin>/<TypeName>"),
            new(ConfigKey.PluginOrder, null, "(by name)", "plugin names in the order their valves and listeners run (list)"),
            new(ConfigKey.ScriptsDirectory, "SCRIPTS_DIR", s.Directory, "directory watched for script valves *.js (also --scripts-dir)"),
            new("scripts:timeout", null, GoDuration.Format(s.Limits.Timeout), "time one script call may take"),
            new("scripts:max-statements", null, Number(s.Limits.MaxStatements), "statements one script call may run"),
            new("scripts:max-memory", null, ByteSize.Describe(s.Limits.MaxMemoryBytes), "memory one script call may allocate"),
            new("scripts:max-message-size", null, ByteSize.Describe(s.Limits.MaxMessageBytes), "largest message a script is given (larger: its @on-error); at most server.max-message-size"),
            new("scripts:max-recursion-depth", null, Number(s.Limits.MaxRecursionDepth), "nested calls within a script"),
            new("scripts:regex-timeout", null, GoDuration.Format(s.Limits.RegexTimeout), "time one regular expression match may take"),
            new("scripts:quarantine-after", null, Number(s.QuarantineAfter), "limit breaks per minute after which a script is switched off"),
            new("scripts:session-budget", null, GoDuration.Format(s.SessionBudget), "script time one session may use per budget window"),
            new("scripts:session-budget-window", null, GoDuration.Format(s.SessionBudgetWindow), "the rolling window of the session budget"),
            new("scripts:engine-idle-timeout", null, GoDuration.Format(s.EngineIdleTimeout), "an engine uncalled this long is let go when nothing is lost (0: never)"),
        ];
    }

    private static List<SettingDescriptor> BuildBackend()
    {
        var d = new BackendSettings { Url = new Uri("ws://localhost"), Id = "defaults" };
        return
        [
            new("url", "BE_URLS", "(required)", "ws:// or wss:// base URL; BE_URLS appends backends"),
            new("id", "BE_URL_IDS", "host-port", "unique id; BE_URL_IDS names the BE_URLS backends"),
            new("ping-time", "BE_PING_TIME", GoDuration.Format(d.PingTime), "interval between pings to the backend"),
            new("handshake-timeout", "BE_HANDSHAKE_TIMEOUT", GoDuration.Format(d.HandshakeTimeout), "longest a dial may take"),
            new("breaker-threshold", "BE_BREAKER_THRESHOLD", Number(d.BreakerThreshold), "consecutive dial failures that open the circuit; <= 0: off"),
            new(ConfigKey.PassHeaders, "BE_PASS_HEADERS", "(none)", "backend response headers copied to the client (list); env appends"),
            new(ConfigKey.AbnormalCloseCodes, "BE_ABNORMAL_CLOSE_CODES", string.Join(",", d.AbnormalCloseCodes), "backend close codes that cause a failover (list)"),
            new("read-buffer-size", "BE_RB_SIZE", Number(d.ReadBufferSize), "backend-leg receive chunk, bytes (rented per message)"),
            new("write-buffer-size", "BE_WB_SIZE", Number(d.WriteBufferSize), "accepted for compatibility; no effect"),
        ];
    }

    private static SettingDescriptor[] Tls(string section, string prefix, string listener) =>
    [
        new($"{section}:{ConfigKey.TlsCertificateFile}", $"{prefix}_TLS_CERT_FILE", "(none)", $"PEM certificate chain of {listener}; with key-file"),
        new($"{section}:{ConfigKey.TlsKeyFile}", $"{prefix}_TLS_KEY_FILE", "(none)", "PEM private key of cert-file (unencrypted)"),
        new($"{section}:{ConfigKey.TlsPfxFile}", $"{prefix}_TLS_PFX_FILE", "(none)", "PKCS#12 file instead of cert-file and key-file"),
        new($"{section}:{ConfigKey.TlsPfxPassword}", $"{prefix}_TLS_PFX_PASSWORD", "(none)", "password of pfx-file"),
    ];

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";
}

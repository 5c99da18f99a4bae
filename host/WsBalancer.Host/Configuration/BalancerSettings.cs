using System.Globalization;
using System.Text;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Configuration;

/// <summary>The whole validated configuration of one balancer process (YAML file, ancestor env, ASP.NET configuration).</summary>
internal sealed record BalancerSettings
{
    /// <summary>Frontend, admin and session settings (<c>server:</c> in YAML).</summary>
    public ServerSettings Server { get; init; } = new();

    /// <summary>Backends named by the configuration (<c>upstream.backends</c> in YAML plus <c>BE_URLS</c>).</summary>
    public IReadOnlyList<BackendSettings> Backends { get; init; } = [];

    /// <summary>Plugin folder, active dialer, plugin order and per-plugin settings.</summary>
    public PluginSettings Plugins { get; init; } = new();

    /// <summary>Scripts folder and script limits.</summary>
    public ScriptSettings Scripts { get; init; } = new();

    /// <summary>
    /// PEM file of extra certificate authorities the built-in upstream trusts for wss:// backends
    /// (<c>upstream.tls.ca-file</c>), beside the system trust store; null: the system trust store alone. Default: none.
    /// </summary>
    public string? BackendCaFile { get; init; }

    /// <summary>True with <c>--demo</c>: two in-process echo backends are started and used.</summary>
    public bool Demo { get; init; }
}

/// <summary>One listener: <c>server.frontend</c> or <c>server.admin</c>.</summary>
internal sealed record ListenerSettings
{
    /// <summary>Go-style listen address: <c>:8080</c> (every interface), <c>127.0.0.1:8081</c>, <c>localhost:0</c>.</summary>
    public required ListenAddress Address { get; init; }

    /// <summary>Time allowed to receive the request headers. Default: 10 s.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Frontend: longest a single write to a client may take before the client is dropped as too slow. Default: 10 s.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest total size of request headers, in bytes. Default: 524288.</summary>
    public int MaxHeaderBytes { get; init; } = 524_288;

    /// <summary>The listener's certificate (<c>tls:</c> of the listener); null serves plain ws:// or http://. Default: none.</summary>
    public ListenerTlsSettings? Tls { get; init; }
}

/// <summary>
/// Where a listener's certificate comes from (<c>server.frontend.tls</c>, <c>server.admin.tls</c>): a PEM certificate
/// chain and a PEM private key, or one PKCS#12 file. Exactly one of the two forms is set; the paths are absolute.
/// </summary>
internal sealed record ListenerTlsSettings
{
    /// <summary>PEM file: the server certificate first, then any intermediate certificates.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>PEM file with the private key of <see cref="CertificateFile"/> (PKCS#8, RSA or EC; not encrypted).</summary>
    public string? KeyFile { get; init; }

    /// <summary>PKCS#12 (.pfx/.p12) file with the certificate, its private key and any intermediates.</summary>
    public string? PfxFile { get; init; }

    /// <summary>Password of <see cref="PfxFile"/>; null when it has none.</summary>
    public string? PfxPassword { get; init; }

    /// <summary>The files the certificate is read from, to watch for a renewal.</summary>
    public IReadOnlyList<string> Files => PfxFile is { } pfx ? [pfx] : [CertificateFile!, KeyFile!];

    // Replaces the compiler's, which would print the PKCS#12 password wherever the settings are shown.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"CertificateFile = {CertificateFile}, KeyFile = {KeyFile}, PfxFile = {PfxFile}, ");
        builder.Append(CultureInfo.InvariantCulture, $"PfxPassword = {(PfxPassword is null ? "" : SettingsReader.RedactedValue)}");
        return true;
    }
}

/// <summary>The <c>server:</c> section.</summary>
internal sealed record ServerSettings
{
    /// <summary>The <see cref="DataDirectory"/> value that keeps the backend database in memory.</summary>
    public const string InMemoryDataDirectory = ":memory:";

    /// <summary>The WebSocket listener. Default address <c>:8080</c>.</summary>
    public ListenerSettings Frontend { get; init; } = new() { Address = ListenAddress.Parse(":8080") };

    /// <summary>The admin listener. Default address <c>127.0.0.1:8081</c> (the ancestor bound every interface).</summary>
    public ListenerSettings Admin { get; init; } = new() { Address = ListenAddress.Parse("127.0.0.1:8081") };

    /// <summary>
    /// Most client sessions the frontend holds at once, dials in flight included (<c>server.frontend.max-sessions</c>);
    /// one more gets 503. 0 means no limit. Default: 0.
    /// </summary>
    public int FrontendMaxSessions { get; init; }

    /// <summary>
    /// Most client sessions at once from one remote address, an IPv6 address counting as its /64 network
    /// (<c>server.frontend.max-sessions-per-address</c>); one more gets 503. 0 means no limit. Default: 1000.
    /// </summary>
    public int FrontendMaxSessionsPerAddress { get; init; } = 1000;

    /// <summary>Client-leg receive buffer, in bytes. Default: 1024.</summary>
    public int ReadBufferSize { get; init; } = 1024;

    /// <summary>Client-leg send buffer, in bytes. Default: 1024.</summary>
    public int WriteBufferSize { get; init; } = 1024;

    /// <summary>Append to a client-sent X-Forwarded-For (true) or replace it with the peer address (false). Default: true.</summary>
    public bool TrustReceivedXff { get; init; } = true;

    /// <summary>Client headers never passed to a backend, in addition to the handshake and hop-by-hop ones.</summary>
    public IReadOnlyList<string> BlockHeaders { get; init; } = [];

    /// <summary>Header set to <c>1</c> on a failover dial and always stripped from client requests. Default: X-Balancer-Reconnect.</summary>
    public string ReconnectHeader { get; init; } = "X-Balancer-Reconnect";

    /// <summary>Per-message instrumentation. Default: false.</summary>
    public bool EnableInstrumentation { get; init; }

    /// <summary>Minimum log level: TRACE, DEBUG, INFO, WARN, ERROR (ancestor names) or a .NET level name. Default: WARN.</summary>
    public string LoggingLevel { get; init; } = "WARN";

    /// <summary>Offer permessage-deflate on the client leg. Default: false.</summary>
    public bool Compression { get; init; }

    /// <summary>
    /// Sessions that need no message content (no valve, script or compression) are relayed frame by frame instead of
    /// message by message. Default: true.
    /// </summary>
    public bool FrameRelay { get; init; } = true;

    /// <summary>
    /// Socket completions run on the runtime's socket event threads, and the frontend's connections resume there
    /// (no hand-off to the thread pool per read); the message path moves to the pool before valves, scripts and
    /// dialers run. Read once at process start. Default: true.
    /// </summary>
    public bool InlineIo { get; init; } = true;

    /// <summary>Most client messages held for the backend while a session re-dials. Default: 1000.</summary>
    public int MaxPendingMessages { get; init; } = 1000;

    /// <summary>Most client bytes held for the backend while a session re-dials. Default: 8 MiB.</summary>
    public long MaxPendingBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Largest single message accepted from a client or backend, in bytes; larger ones close with 1009. Default: 4 MiB.</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Bytes of messages all sessions together may hold (<c>server.buffer-budget</c>): client messages queued for a
    /// backend, and the part of a message in progress the relay keeps for a replay. Over it, the sessions holding the
    /// most are back-pressured first (see <see cref="Sessions.BufferBudget"/>). Default: a quarter of the memory the
    /// process may use.
    /// </summary>
    public long BufferBudget { get; init; } = BufferBudgetText.OfMemory(BufferBudgetText.DefaultFraction);

    /// <summary>Longest an administrative failover waits for the old backend's last replies. Default: 5 s.</summary>
    public TimeSpan FailoverDrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// On SIGTERM or Ctrl+C, how long live sessions get to end by themselves before the rest are closed with 1001
    /// (<c>server.drain-timeout</c>). 0 closes them at once. Default: 30 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A session on which nothing has gone either way for this long (no data message, no frame from the client) is
    /// closed with 1000 "idle timeout" (<c>server.idle-timeout</c>). Zero turns it off. Default: off.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// TCP keepalive on client connections (<c>server.tcp-keepalive</c>): a connection that has carried nothing for
    /// this long gets a probe every <see cref="KeepAliveProbes"/>-th of it (at least 1 s), and one that answers none of
    /// <see cref="KeepAliveProbes"/> probes is dropped by the kernel, which ends its session (a client whose host or
    /// network path died). Zero leaves the operating system's default (off). Default: 1 minute.
    /// </summary>
    public TimeSpan TcpKeepAlive { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Unanswered keepalive probes after which a client connection is dropped.</summary>
    public const int KeepAliveProbes = 3;

    /// <summary>
    /// A backend that has taken nothing of what the client sends for this long (its socket's window stays full) has
    /// its leg dropped, and the client is closed with 1013 "backend stalled" (<c>server.stall-timeout</c>). Zero turns
    /// it off: the client then stays back-pressured. Default: 60 s.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Directory of the backend database (<c>wsbalancer.db</c>), or <see cref="InMemoryDataDirectory"/> for a database that
    /// lives only as long as the process. Default: <c>data</c>; the loader stores it resolved against the current directory.
    /// </summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>Bearer token the admin API requires; at least 16 characters, no whitespace. Default: none.</summary>
    public string? AdminToken { get; init; }

    /// <summary>
    /// Bearer token that may call every GET of the admin API and nothing else (dashboards, the web page for on-call
    /// readers). Needs <see cref="AdminToken"/>: it protects no action. Default: none.
    /// </summary>
    public string? AdminReadToken { get; init; }

    /// <summary>Serve the admin API on a non-loopback address without a token. Default: false.</summary>
    public bool AdminAllowInsecure { get; init; }

    /// <summary>
    /// Wrong bearer tokens one remote address may present within <see cref="AdminAuthFailureWindow"/>; after that the
    /// address gets 429 for every admin request, even with the right token, until the window passes. 0 turns it off. Default: 10.
    /// </summary>
    public int AdminAuthFailureLimit { get; init; } = 10;

    /// <summary>The window of <see cref="AdminAuthFailureLimit"/>, from the address's first failure. Default: 1 min.</summary>
    public TimeSpan AdminAuthFailureWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Most remote addresses (IPv6: /64 networks) whose failures are counted each on its own; failures from further
    /// addresses share one count until tracked addresses age out. Default: 10000.
    /// </summary>
    public int AdminAuthFailureAddresses { get; init; } = 10_000;

    // Replaces the compiler's, which would print the admin token in any log line or assertion message that shows the
    // settings. Every property must be listed here; a test checks that none is missing.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Frontend = {Frontend}, Admin = {Admin}, FrontendMaxSessions = {FrontendMaxSessions}, ");
        builder.Append(CultureInfo.InvariantCulture, $"FrontendMaxSessionsPerAddress = {FrontendMaxSessionsPerAddress}, ReadBufferSize = {ReadBufferSize}, ");
        builder.Append(CultureInfo.InvariantCulture, $"WriteBufferSize = {WriteBufferSize}, TrustReceivedXff = {TrustReceivedXff}, ");
        builder.Append(CultureInfo.InvariantCulture, $"BlockHeaders = [{string.Join(", ", BlockHeaders)}], ReconnectHeader = {ReconnectHeader}, ");
        builder.Append(CultureInfo.InvariantCulture, $"EnableInstrumentation = {EnableInstrumentation}, LoggingLevel = {LoggingLevel}, ");
        builder.Append(CultureInfo.InvariantCulture, $"Compression = {Compression}, FrameRelay = {FrameRelay}, InlineIo = {InlineIo}, MaxPendingMessages = {MaxPendingMessages}, ");
        builder.Append(CultureInfo.InvariantCulture, $"MaxPendingBytes = {MaxPendingBytes}, MaxMessageBytes = {MaxMessageBytes}, BufferBudget = {BufferBudget}, ");
        builder.Append(CultureInfo.InvariantCulture, $"FailoverDrainTimeout = {FailoverDrainTimeout}, DrainTimeout = {DrainTimeout}, IdleTimeout = {IdleTimeout}, StallTimeout = {StallTimeout}, TcpKeepAlive = {TcpKeepAlive}, DataDirectory = {DataDirectory}, ");
        builder.Append(CultureInfo.InvariantCulture, $"AdminToken = {(AdminToken is null ? "" : SettingsReader.RedactedValue)}, ");
        builder.Append(CultureInfo.InvariantCulture, $"AdminReadToken = {(AdminReadToken is null ? "" : SettingsReader.RedactedValue)}, AdminAllowInsecure = {AdminAllowInsecure}, ");
        builder.Append(CultureInfo.InvariantCulture, $"AdminAuthFailureLimit = {AdminAuthFailureLimit}, AdminAuthFailureWindow = {AdminAuthFailureWindow}, ");
        builder.Append(CultureInfo.InvariantCulture, $"AdminAuthFailureAddresses = {AdminAuthFailureAddresses}");
        return true;
    }
}

/// <summary>One backend of the built-in WebSocket upstream (<c>upstream.backends[]</c>).</summary>
internal sealed record BackendSettings
{
    /// <summary>The abnormal close codes used when none are configured: 1001, 1005, 1006, 1011, 1013.</summary>
    public static readonly IReadOnlyList<int> DefaultAbnormalCloseCodes = [1001, 1005, 1006, 1011, 1013];

    /// <summary>Base URL, <c>ws://</c> or <c>wss://</c>; the client's path and query are appended.</summary>
    public required Uri Url { get; init; }

    /// <summary>Unique id. Default: derived from the URL's host and port (<c>ws://localhost:9090</c> → <c>localhost-9090</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Interval between pings to the backend. Default: 10 min.</summary>
    public TimeSpan PingTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest a dial may take. Default: 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Consecutive dial failures that open the circuit; ≤ 0 disables the breaker. Default: 10.</summary>
    public int BreakerThreshold { get; init; } = 10;

    /// <summary>Backend handshake response headers copied into the client's 101 response.</summary>
    public IReadOnlyList<string> PassHeaders { get; init; } = [];

    /// <summary>Backend close codes that trigger a failover instead of closing the client.</summary>
    public IReadOnlyList<int> AbnormalCloseCodes { get; init; } = DefaultAbnormalCloseCodes;

    /// <summary>Backend-leg receive buffer, in bytes. Default: 1024.</summary>
    public int ReadBufferSize { get; init; } = 1024;

    /// <summary>Backend-leg send buffer, in bytes. Default: 1024.</summary>
    public int WriteBufferSize { get; init; } = 1024;
}

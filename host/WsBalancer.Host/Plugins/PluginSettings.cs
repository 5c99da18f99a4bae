namespace WsBalancer.Host.Plugins;

/// <summary>The plugin part of the configuration: <c>server.plugins-dir</c>, <c>upstream.dialer</c> and <c>plugins:</c>.</summary>
internal sealed record PluginSettings
{
    /// <summary>The name of the built-in WebSocket upstream as a value of <c>upstream.dialer</c>.</summary>
    public const string BuiltInDialer = "websocket";

    /// <summary>
    /// Where users drop plugin folders (<c>plugins/&lt;Name&gt;/&lt;Name&gt;.dll</c>). Default: <c>plugins</c> under the
    /// working directory; the loader stores it resolved.
    /// </summary>
    public string Directory { get; init; } = "plugins";

    /// <summary>
    /// Where the first-party plugins built with the host live (<c>plugins/</c> beside the host's assembly), or null for
    /// none. They load only when enabled (<c>plugins.&lt;Name&gt;.enabled: true</c>, or named by <see cref="Dialer"/>).
    /// </summary>
    public string? BundledDirectory { get; init; }

    /// <summary>The active dialer: <see cref="BuiltInDialer"/> or <c>&lt;Plugin&gt;/&lt;TypeName&gt;</c>. Default: the built-in.</summary>
    public string Dialer { get; init; } = BuiltInDialer;

    /// <summary>Plugin names in the order their valve providers and listeners run (<c>plugins.order</c>); the rest follow by name.</summary>
    public IReadOnlyList<string> Order { get; init; } = [];

    /// <summary>Per-plugin configuration by plugin name (case-insensitive).</summary>
    public IReadOnlyDictionary<string, PluginEntrySettings> Entries { get; init; } =
        new Dictionary<string, PluginEntrySettings>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The plugin part of a dialer name, or null for the built-in dialer.</summary>
    public string? DialerPlugin => Dialer.Equals(BuiltInDialer, StringComparison.OrdinalIgnoreCase) ? null : Dialer[..Dialer.IndexOf('/')];

    /// <summary>How long a folder's files must stay unchanged before a new version is copied from it. Fixed: 500 ms (tests shorten it).</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the folders are looked at. Fixed: 250 ms, so a change takes effect within about a second.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A retired version still loaded this long after its last session is reported. Fixed: 60 s (tests shorten it).</summary>
    public TimeSpan UnloadReportAfter { get; init; } = TimeSpan.FromSeconds(60);

    public PluginEntrySettings For(string name) => Entries.TryGetValue(name, out var entry) ? entry : PluginEntrySettings.None;
}

/// <summary>One plugin's section, <c>plugins.&lt;Name&gt;</c>.</summary>
internal sealed record PluginEntrySettings
{
    public static readonly PluginEntrySettings None = new();

    /// <summary><c>plugins.&lt;Name&gt;.enabled</c>; null when not configured (user plugins load, bundled ones do not).</summary>
    public bool? Enabled { get; init; }

    /// <summary><c>plugins.&lt;Name&gt;.settings</c> flattened: nested keys joined by ':', keys lower-case.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    // Settings may hold secrets (a backend's credentials): never print their values.
    public override string ToString() => $"Enabled = {Enabled?.ToString() ?? "default"}, Settings = [{string.Join(", ", Settings.Keys)}]";
}

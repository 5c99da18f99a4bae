namespace WsBalancer.Host.Plugins;

/// <summary>One row of <c>GET /plugin/list</c>.</summary>
internal sealed record PluginStatus(
    string Name,
    string? Version,
    string Path,
    DateTimeOffset? LoadedAt,
    string Status,
    string? Error,
    string? Description,
    bool Bundled,
    IReadOnlyList<PluginTypeInfo> Types,
    int Sessions,
    IReadOnlyList<PluginVersionStatus> Versions);

/// <summary>An older version of a plugin still held: by sessions (draining) or by the runtime (unload-pending).</summary>
internal sealed record PluginVersionStatus(string Version, int Sequence, DateTimeOffset LoadedAt, string Status, int Sessions, DateTimeOffset? RetiredAt, string? Error);

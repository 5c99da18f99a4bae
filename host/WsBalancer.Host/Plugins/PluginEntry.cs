namespace WsBalancer.Host.Plugins;

/// <summary>What the catalog knows of one plugin name: its folder, its current version, older versions still held, its last error.</summary>
internal sealed class PluginEntry
{
    public PluginEntry(string name, string sourcePath, bool bundled)
    {
        Name = name;
        SourcePath = sourcePath;
        Bundled = bundled;
    }

    public string Name { get; }

    public string SourcePath { get; set; }

    /// <summary>Built with the host (beside its assembly), rather than dropped into the plugins directory.</summary>
    public bool Bundled { get; set; }

    /// <summary>Set by <c>POST /plugin/enable|disable</c>: overrides the configuration until restart.</summary>
    public bool? EnabledOverride { get; set; }

    public bool FolderPresent { get; set; } = true;

    public PluginVersion? Current { get; set; }

    /// <summary>Earlier versions still held by sessions (draining) or not yet collected (unload-pending).</summary>
    public List<PluginVersion> Older { get; } = [];

    public string? Error { get; set; }

    public DateTimeOffset? ErrorAt { get; set; }

    /// <summary>The folder's fingerprint when last looked at, and since when it has been unchanged.</summary>
    public string? SeenFingerprint { get; set; }

    public long SeenSince { get; set; }

    /// <summary>The fingerprint of the files last loaded (or last refused): the same files are not tried again.</summary>
    public string? LoadedFingerprint { get; set; }

    public int Sequence { get; set; }
}

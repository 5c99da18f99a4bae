using Microsoft.Extensions.Logging;

namespace WsBalancer.Sdk;

/// <summary>
/// What the host gives a plugin type it creates. A public plugin type (dialer, valve provider, session listener) may
/// take this as the only parameter of its constructor; a parameterless constructor is used otherwise.
/// </summary>
/// <remarks>One context is created per plugin version and shared by every type of that version.</remarks>
public interface IPluginContext
{
    /// <summary>The plugin's name: the name of its folder under the plugins directory (<c>plugins/RateLimit/</c> → <c>RateLimit</c>).</summary>
    string PluginName { get; }

    /// <summary>The version being loaded: <c>version</c> of <c>plugin.json</c>, else the assembly's informational version.</summary>
    string PluginVersion { get; }

    /// <summary>
    /// The plugin's settings: the key/value pairs under <c>plugins.&lt;Name&gt;.settings</c> of the host's configuration,
    /// with nested keys joined by ':' (<c>limits:per-second</c>). Keys are case-insensitive. Empty when none are configured.
    /// </summary>
    IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>A logger whose category names the plugin. Never log secrets or message payloads.</summary>
    ILogger Logger { get; }

    /// <summary>
    /// A directory private to the plugin, kept across versions and restarts (under the host's data directory, or a
    /// temporary directory when the host keeps no data). It exists when the plugin is created.
    /// </summary>
    string DataDirectory { get; }
}

/// <summary>
/// Live figures of a session. The host's frontend connections implement it; probe with
/// <c>session.Frontend is ISessionDetails details</c> (a future host may offer more through other interfaces).
/// </summary>
public interface ISessionDetails
{
    /// <summary>When the client's session began (its first backend dial).</summary>
    DateTimeOffset StartedAt { get; }

    /// <summary>Messages received from the client so far.</summary>
    long MessagesReceived { get; }

    /// <summary>Messages sent to the client so far.</summary>
    long MessagesSent { get; }

    /// <summary>Completed failovers (backend legs replaced) so far.</summary>
    int Reconnects { get; }

    /// <summary>
    /// Why the session ended (<c>ClientClosed</c>, <c>BackendClosed</c>, <c>NoBackend</c>, …), or null while it runs.
    /// Set before the last <see cref="ISessionListener.SessionTerminated"/> call, so a listener tells the end of a
    /// session (non-null) from a failover (null).
    /// </summary>
    string? EndReason { get; }
}

/// <summary>
/// Lets a plugin end a session. The host's frontend connections implement it; probe with
/// <c>session.Frontend is ISessionControl control</c>.
/// </summary>
public interface ISessionControl
{
    /// <summary>
    /// Ends the session: the client gets a close frame with <paramref name="code"/> and <paramref name="reason"/>, and
    /// the backend leg is closed normally. Returns at once; the close happens on the session's own flow. Later calls,
    /// and calls after the session ended, do nothing.
    /// </summary>
    /// <param name="code">An RFC 6455 close code a peer may send: 1000–1003, 1007–1014, or 3000–4999 (1008 for a policy violation).</param>
    /// <param name="reason">The close reason; at most 123 UTF-8 bytes go on the wire.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is not a code a peer may send.</exception>
    void Close(int code, string? reason);
}

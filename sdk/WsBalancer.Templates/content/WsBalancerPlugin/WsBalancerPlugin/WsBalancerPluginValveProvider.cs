using WsBalancer.Sdk;

namespace WsBalancerPlugin;

/// <summary>
/// The type the balancer finds in this plugin: it adds a <see cref="WsBalancerPluginValve"/> to every session.
/// </summary>
/// <remarks>
/// <para>
/// The balancer looks through the plugin's assembly for public, non-abstract types implementing
/// <see cref="IValveProvider"/>, <see cref="IBackendDialer"/> or <see cref="ISessionListener"/>, and creates each one
/// once per loaded version of the plugin, through a constructor taking an <see cref="IPluginContext"/> (or a
/// parameterless one). Publishing a new build into the plugin folder loads a new version next to the old one: new
/// sessions get the new version, live sessions keep theirs until they end, and then the old version is unloaded.
/// </para>
/// <para>
/// That unloading is why nothing here is static and nothing is registered on a host or static object: whatever a
/// plugin keeps alive from outside its own instances (a static cache, an event handler, a timer, a running thread)
/// keeps the old version loaded forever. Anything that needs releasing belongs to an instance that implements
/// <see cref="IDisposable"/>; the balancer disposes it when the last session of that version ends.
/// </para>
/// </remarks>
public sealed class WsBalancerPluginValveProvider : IValveProvider
{
    /// <summary>The setting that holds the text put in front of every text reply from the backend.</summary>
    public const string PrefixKey = "prefix";

    /// <summary>The longest prefix accepted, in characters: it is added to every reply, so it stays short.</summary>
    public const int MaxPrefixLength = 100;

    private readonly string _prefix;

    /// <summary>Reads and checks the plugin's settings once, when the balancer loads this version of the plugin.</summary>
    /// <param name="context">
    /// The plugin's name, version, settings (the balancer's configuration section
    /// <c>plugins.&lt;Name&gt;.settings</c>), logger and private data directory.
    /// </param>
    /// <exception cref="ArgumentException">
    /// A setting is invalid. The balancer shows this message in its plugin list (<c>GET /plugin/list</c>), so it
    /// names the full configuration key, the bad value and what is expected.
    /// </exception>
    public WsBalancerPluginValveProvider(IPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _prefix = Setting(context, PrefixKey) ?? string.Empty;
        if (_prefix.Length > MaxPrefixLength)
        {
            // No parameter name: the message is shown as it is, and it already names the setting.
            throw new ArgumentException(
                $"plugins.{context.PluginName}.settings.{PrefixKey}='{_prefix}': expected at most {MaxPrefixLength} characters");
        }
    }

    /// <summary>
    /// Called by the balancer when a session starts, and again after each failover to a new backend, to build the
    /// session's list of valves. Every message of the session then passes through each valve in turn.
    /// </summary>
    /// <param name="session">The client leg and the backend leg of the session.</param>
    /// <param name="currentValves">The valves that providers called before this one have added.</param>
    /// <returns>The valves to add, in order: here one new valve per session, so no state is shared between sessions.</returns>
    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves) =>
        [new WsBalancerPluginValve(_prefix)];

    // Keys arrive lower-cased, but a test or another host may pass them as written: compare case-insensitively.
    private static string? Setting(IPluginContext context, string key)
    {
        if (context.Settings.TryGetValue(key, out var value))
        {
            return value;
        }

        foreach (var (name, setting) in context.Settings)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return setting;
            }
        }

        return null;
    }
}

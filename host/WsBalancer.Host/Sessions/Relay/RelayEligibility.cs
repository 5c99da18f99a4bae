using WsBalancer.Host.Configuration;
using WsBalancer.Host.Metrics;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Scripting;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>
/// Whether a new session can be relayed frame by frame: nothing would read its messages. Decided once, when the
/// session starts, from the plugin snapshot it holds and the scripts present then; a valve plugin or a script
/// added later applies to the sessions that start after it.
/// </summary>
internal static class RelayEligibility
{
    /// <param name="builtInDialer">The built-in upstream: a plugin dialer keeps the SDK's channel model, which is message by message.</param>
    /// <param name="path">The request's path, which a script's <c>@match</c> is checked against.</param>
    public static bool Allows(ServerSettings settings, PluginSnapshot snapshot, IBackendDialer builtInDialer, ScriptLibrary scripts, string path)
    {
        if (!settings.FrameRelay || settings.EnableInstrumentation || !ReferenceEquals(snapshot.Dialer, builtInDialer))
        {
            return false;
        }

        // The metrics provider adds valves only with instrumentation (checked above); any other provider may add one:
        // a plugin's, or one the embedding program registered in process (the benchmark's valve host does).
        foreach (var provider in snapshot.ValveProviders)
        {
            if (provider.PluginName is not null || provider.Instance is not MetricsValveProvider)
            {
                return false;
            }
        }

        return !scripts.MayApplyTo(path);
    }
}

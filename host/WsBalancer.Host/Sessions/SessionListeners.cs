using Microsoft.Extensions.Logging;
using WsBalancer.Host.Plugins;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>Tells the session listeners of a plugin snapshot about a pair; each listener is a fault barrier.</summary>
internal static class SessionListeners
{
    public static void Notify(PluginSnapshot snapshot, ProxySession pair, bool created, PluginFaults faults, ILogger logger, string sessionId)
    {
        foreach (var (listener, plugin) in snapshot.Listeners)
        {
            try
            {
                if (created)
                {
                    listener.SessionCreated(pair);
                }
                else
                {
                    listener.SessionTerminated(pair);
                }
            }
            catch (Exception ex)
            {
                if (plugin is null)
                {
                    SessionsLog.ListenerFailed(logger, sessionId, listener.GetType().FullName ?? "?", ex);
                }
                else
                {
                    faults.Report(plugin, listener.GetType().FullName ?? "?", listener: true, ex);
                }
            }
        }
    }
}

using Microsoft.Extensions.Logging;
using WsBalancer.Host.Metrics;
using WsBalancer.Host.Plugins;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// A session's valves, run in order client → backend and in reverse backend → client. A valve is a fault
/// barrier: its null or its exception drops that one message and the session goes on. A plugin's fault is
/// counted for that plugin and logged rate-limited.
/// </summary>
internal sealed class ValveChain
{
    public static readonly ValveChain Empty = new([], [], null!, null!, null!, string.Empty);

    private readonly IReadOnlyList<IMessageValve> _valves;
    private readonly IReadOnlyList<string?> _owners; // the plugin of each valve, null for a built-in one
    private readonly BalancerMetrics _metrics;
    private readonly PluginFaults _faults;
    private readonly ILogger _logger;
    private readonly string _sessionId;

    private ValveChain(IReadOnlyList<IMessageValve> valves, IReadOnlyList<string?> owners, BalancerMetrics metrics, PluginFaults faults, ILogger logger, string sessionId)
    {
        _valves = valves;
        _owners = owners;
        _metrics = metrics;
        _faults = faults;
        _logger = logger;
        _sessionId = sessionId;
    }

    public bool IsEmpty => _valves.Count == 0;

    /// <summary>Asks every provider, in order, for its valves; a failing provider adds none.</summary>
    public static ValveChain Build(IReadOnlyList<PluginPart<IValveProvider>> providers, ProxySession session, BalancerMetrics metrics, PluginFaults faults, ILogger logger)
    {
        if (providers.Count == 0)
        {
            return Empty;
        }

        var valves = new List<IMessageValve>();
        var owners = new List<string?>();
        foreach (var (provider, plugin) in providers)
        {
            try
            {
                var added = provider.AddValves(session, valves.AsReadOnly());
                valves.AddRange(added);
                for (var i = 0; i < added.Count; i++)
                {
                    owners.Add(plugin);
                }
            }
            catch (Exception ex)
            {
                if (plugin is null)
                {
                    SessionsLog.ValveProviderFailed(logger, session.Frontend.Id, provider.GetType().FullName ?? "?", ex);
                }
                else
                {
                    faults.Report(plugin, provider.GetType().FullName ?? "?", listener: false, ex);
                }
            }
        }

        return valves.Count == 0 ? Empty : new ValveChain(valves, owners, metrics, faults, logger, session.Frontend.Id);
    }

    public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message) =>
        IsEmpty ? ValueTask.FromResult<WsMessage?>(message) : RunAsync(message, toBackend: true);

    public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message) =>
        IsEmpty ? ValueTask.FromResult<WsMessage?>(message) : RunAsync(message, toBackend: false);

    private async ValueTask<WsMessage?> RunAsync(WsMessage message, bool toBackend)
    {
        WsMessage? current = message;
        for (var i = 0; i < _valves.Count && current is not null; i++)
        {
            var index = toBackend ? i : _valves.Count - 1 - i;
            var valve = _valves[index];
            var failed = false;
            try
            {
                current = toBackend ? await valve.BeforeTransmitAsync(current) : await valve.AfterReceiveAsync(current);
            }
            catch (Exception ex)
            {
                if (_owners[index] is { } plugin)
                {
                    _faults.Report(plugin, valve.GetType().FullName ?? "?", listener: false, ex);
                }
                else
                {
                    SessionsLog.ValveFailed(_logger, _sessionId, valve.GetType().FullName ?? "?", ex);
                }

                current = null;
                failed = true;
            }

            if (current is null)
            {
                var name = valve.GetType().FullName ?? "?";
                SessionsLog.MessageDropped(_logger, _sessionId, name, message.Data.Length);
                _metrics.ValveDropped(name, failed);
            }
        }

        return current;
    }
}

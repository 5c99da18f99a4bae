using Microsoft.Extensions.Logging;
using WsBalancer.Host.Metrics;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// A session's valves, run in order client → backend and in reverse backend → client. A valve is a fault
/// barrier: its null or its exception drops that one message and the session goes on.
/// </summary>
internal sealed class ValveChain
{
    public static readonly ValveChain Empty = new([], null!, null!, string.Empty);

    private readonly IReadOnlyList<IMessageValve> _valves;
    private readonly BalancerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly string _sessionId;

    public ValveChain(IReadOnlyList<IMessageValve> valves, BalancerMetrics metrics, ILogger logger, string sessionId)
    {
        _valves = valves;
        _metrics = metrics;
        _logger = logger;
        _sessionId = sessionId;
    }

    public bool IsEmpty => _valves.Count == 0;

    /// <summary>Asks every provider, in registration order, for its valves; a failing provider adds none.</summary>
    public static ValveChain Build(IReadOnlyList<IValveProvider> providers, ProxySession session, BalancerMetrics metrics, ILogger logger)
    {
        if (providers.Count == 0)
        {
            return Empty;
        }

        var valves = new List<IMessageValve>();
        foreach (var provider in providers)
        {
            try
            {
                valves.AddRange(provider.AddValves(session, valves.AsReadOnly()));
            }
            catch (Exception ex)
            {
                SessionsLog.ValveProviderFailed(logger, session.Frontend.Id, provider.GetType().FullName ?? "?", ex);
            }
        }

        return valves.Count == 0 ? Empty : new ValveChain(valves, metrics, logger, session.Frontend.Id);
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
            var valve = toBackend ? _valves[i] : _valves[_valves.Count - 1 - i];
            var failed = false;
            try
            {
                current = toBackend ? await valve.BeforeTransmitAsync(current) : await valve.AfterReceiveAsync(current);
            }
            catch (Exception ex)
            {
                SessionsLog.ValveFailed(_logger, _sessionId, valve.GetType().FullName ?? "?", ex);
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

using WsBalancer.Sdk;

namespace WsBalancer.Host.Metrics;

/// <summary>Records each data message's size per direction and passes the message on unchanged.</summary>
internal sealed class MetricsValve : IMessageValve
{
    private readonly BalancerMetrics _metrics;

    public MetricsValve(BalancerMetrics metrics)
    {
        _metrics = metrics;
    }

    public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message)
    {
        Record(message, toBackend: true);
        return ValueTask.FromResult<WsMessage?>(message);
    }

    public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message)
    {
        Record(message, toBackend: false);
        return ValueTask.FromResult<WsMessage?>(message);
    }

    // Closure signals are not traffic; the ancestor measured text and binary messages only.
    private void Record(WsMessage message, bool toBackend)
    {
        if (!message.IsControl)
        {
            _metrics.MessageSize(toBackend, message.Data.Length);
        }
    }
}

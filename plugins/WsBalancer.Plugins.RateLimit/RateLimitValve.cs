using WsBalancer.Sdk;

namespace WsBalancer.Plugins.RateLimit;

/// <summary>
/// One session's limits: its own token bucket, its address's shared one, and the size limit. A message over any of
/// them is dropped, and with <c>on-excess: close</c> the session is closed with 1008.
/// </summary>
/// <remarks>
/// The host builds a new valve after each failover, so a failover starts the session with a full bucket of its own;
/// the address bucket, shared across sessions, carries over.
/// </remarks>
internal sealed class RateLimitValve : IMessageValve
{
    private readonly RateLimitValveProvider _provider;
    private readonly RateLimitSettings _settings;
    private readonly IFrontendConnection _frontend;
    private readonly MessageBucket _bucket;
    private AddressPartition? _address;
    private int _closing;

    public RateLimitValve(RateLimitValveProvider provider, RateLimitSettings settings, IFrontendConnection frontend, AddressPartition? address)
    {
        _provider = provider;
        _settings = settings;
        _frontend = frontend;
        _address = address;
        _bucket = new MessageBucket(settings.MessagesPerSecond, settings.Burst);
    }

    public ValueTask<WsMessage?> BeforeTransmitAsync(WsMessage message) => new(Admit(message));

    public ValueTask<WsMessage?> AfterReceiveAsync(WsMessage message) =>
        new(_settings.Direction == LimitedDirection.Both ? Admit(message) : message);

    private WsMessage? Admit(WsMessage message)
    {
        if (message.IsControl || _provider.IsDisposed)
        {
            return message;
        }

        // Once the session is being closed for a violation, nothing more of it goes through.
        if (Volatile.Read(ref _closing) != 0)
        {
            return null;
        }

        if (FindExcess(message) is not { } limit)
        {
            return message;
        }

        if (_settings.OnExcess == ExcessAction.Close && _frontend is ISessionControl control)
        {
            if (Interlocked.Exchange(ref _closing, 1) == 0)
            {
                _provider.Closing(_frontend.Id, limit);
                control.Close(1008, limit == ExcessLimit.Size ? "message too big" : "rate limit exceeded");
            }

            return null;
        }

        _provider.Dropped(_frontend.Id, limit, message.Data.Length);
        return null;
    }

    private ExcessLimit? FindExcess(WsMessage message)
    {
        // Size first: an oversized message is refused whole and takes no token.
        if (_settings.MaxMessageBytes > 0 && message.Data.Length > _settings.MaxMessageBytes)
        {
            return ExcessLimit.Size;
        }

        // The session's own bucket before the address's: a session over its own limit then takes nothing from the
        // other sessions of its address. (A message refused by the address limit has still cost its session a token.)
        if (!_bucket.TryTake())
        {
            return ExcessLimit.Session;
        }

        var address = _address;
        if (address is { IsEvicted: true })
        {
            address = _address = _provider.ResolveAddress(_frontend.RemoteAddress);
        }

        return address is null || address.Bucket.TryTake() ? null : ExcessLimit.Address;
    }
}

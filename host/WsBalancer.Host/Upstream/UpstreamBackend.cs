using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Upstream;

/// <summary>One backend of the built-in upstream: its settings, its breaker, its switch and its counters.</summary>
/// <remarks>Settings are immutable; state is changed only through thread-safe members.</remarks>
internal sealed class UpstreamBackend
{
    private readonly HashSet<int> _abnormalCloseCodes;
    private readonly HashSet<string> _passHeaders;
    private int _enabled = 1;
    private BackendDrain? _drain;
    private int _deleted;
    private long _activeConnections;
    private long _totalConnections;
    private long _totalFailures;

    public UpstreamBackend(BackendSettings settings, TimeProvider time)
    {
        Settings = settings;
        Breaker = new CircuitBreaker(settings.BreakerThreshold, time);
        _abnormalCloseCodes = [.. settings.AbnormalCloseCodes];
        _passHeaders = new HashSet<string>(settings.PassHeaders, StringComparer.OrdinalIgnoreCase);
    }

    public BackendSettings Settings { get; }

    public string Id => Settings.Id;

    public CircuitBreaker Breaker { get; }

    public bool Enabled => Volatile.Read(ref _enabled) == 1;

    /// <summary>The backend's drain, running or done; null when it takes sessions. Written under the upstream's write gate.</summary>
    public BackendDrain? Drain
    {
        get => Volatile.Read(ref _drain);
        set => Volatile.Write(ref _drain, value);
    }

    /// <summary>Enabled and not drained: the balancer may choose it for a session.</summary>
    public bool TakesSessions => Enabled && Drain is null;

    /// <summary>True once the backend was deleted: a leg dialed to it before the delete must still be moved off.</summary>
    public bool Deleted => Volatile.Read(ref _deleted) == 1;

    public long ActiveConnections => Interlocked.Read(ref _activeConnections);

    public long TotalConnections => Interlocked.Read(ref _totalConnections);

    public long TotalFailures => Interlocked.Read(ref _totalFailures);

    /// <summary>Sets the switch; false when it already was in that position.</summary>
    public bool SetEnabled(bool enabled) => Interlocked.Exchange(ref _enabled, enabled ? 1 : 0) != (enabled ? 1 : 0);

    /// <summary>
    /// Marks the backend deleted. A full fence: the delete's scan of the live sessions comes after it, and a session
    /// that takes a leg on it after that scan sees it (<see cref="Sessions.SessionRegistry.Placed"/>).
    /// </summary>
    public void MarkDeleted() => Interlocked.Exchange(ref _deleted, 1);

    public bool IsAbnormalClose(int closeCode) => _abnormalCloseCodes.Contains(closeCode);

    public bool IsPassHeader(string name) => _passHeaders.Contains(name);

    public bool HasPassHeaders => _passHeaders.Count > 0;

    /// <summary>The backend URL for a client request: base URL + the client's path and query, as the ancestor joins them.</summary>
    public Uri UrlFor(Uri clientRequest)
    {
        var baseUrl = Settings.Url.OriginalString.TrimEnd('/');
        var pathAndQuery = clientRequest.IsAbsoluteUri ? clientRequest.PathAndQuery : clientRequest.OriginalString;
        return new Uri(baseUrl + pathAndQuery);
    }

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _activeConnections);
        Interlocked.Increment(ref _totalConnections);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    public void DialFailed() => Interlocked.Increment(ref _totalFailures);
}

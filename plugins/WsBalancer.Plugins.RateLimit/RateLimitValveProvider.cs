using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.RateLimit;

/// <summary>
/// Limits how many messages a session, and all sessions of one client address, may send per second, and how large a
/// message may be. Excess messages are dropped, or the session is closed with 1008 (<c>on-excess: close</c>).
/// </summary>
/// <remarks>
/// No timer runs per session or per address: buckets refill lazily when a message asks. The provider owns the
/// address table and the <see cref="System.Diagnostics.Metrics.Meter"/> <c>WsBalancer.Plugins.RateLimit</c>, both
/// released by <see cref="Dispose"/>; after it, valves let every message pass.
/// </remarks>
public sealed class RateLimitValveProvider : IValveProvider, IDisposable
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private readonly RateLimitSettings _settings;
    private readonly ILogger _logger;
    private readonly RateLimitMetrics _metrics;
    private readonly AddressLimiters? _addresses;
    private readonly LogThrottle _overflowReports;
    private int _disposed;

    /// <summary>Reads the settings and creates the address table and the meter.</summary>
    /// <param name="context">The plugin's settings and logger.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public RateLimitValveProvider(IPluginContext context)
        : this(context, TimeProvider.System)
    {
    }

    /// <param name="context">The plugin's settings and logger.</param>
    /// <param name="time">The clock for the address table's sweeps and the log rate limit (buckets keep their own).</param>
    internal RateLimitValveProvider(IPluginContext context, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(time);
        _settings = RateLimitSettings.Read(context.PluginName, context.Settings);
        _logger = context.Logger;
        _overflowReports = new LogThrottle(time, WarningInterval);
        _addresses = _settings.AddressMessagesPerSecond > 0
            ? new AddressLimiters(_settings.AddressMessagesPerSecond, _settings.AddressBurst, _settings.MaxAddresses, time)
            : null;
        _metrics = new RateLimitMetrics(context.PluginVersion);
        RateLimitLog.Configured(
            _logger, _settings.MessagesPerSecond, _settings.Burst, _settings.AddressMessagesPerSecond, _settings.AddressBurst,
            _settings.MaxMessageBytes, _settings.Direction.ToString().ToLowerInvariant(), _settings.OnExcess.ToString().ToLowerInvariant());
    }

    /// <summary>The provider's meter; tests listen to this instance only.</summary>
    internal Meter Meter => _metrics.Meter;

    /// <summary>Addresses with their own limit now.</summary>
    internal int TrackedAddresses => _addresses?.Count ?? 0;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc/>
    public IReadOnlyList<IMessageValve> AddValves(ProxySession session, IReadOnlyList<IMessageValve> currentValves)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (IsDisposed)
        {
            return [];
        }

        return [new RateLimitValve(this, _settings, session.Frontend, ResolveAddress(session.Frontend.RemoteAddress))];
    }

    /// <summary>Stops limiting and releases the address table and the meter.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _addresses?.Dispose();
        _metrics.Dispose();
    }

    /// <summary>The address partition for a session, or null when the address limit is off.</summary>
    internal AddressPartition? ResolveAddress(string? remoteAddress)
    {
        if (_addresses is null)
        {
            return null;
        }

        var partition = _addresses.Resolve(remoteAddress, out var overflowed, out var swept);
        if (swept > 0)
        {
            RateLimitLog.AddressesSwept(_logger, swept);
        }

        if (overflowed && _overflowReports.Add() is var sessions and > 0)
        {
            RateLimitLog.AddressesFull(_logger, _settings.MaxAddresses, sessions);
        }

        return partition;
    }

    internal void Dropped(string sessionId, ExcessLimit limit, int size)
    {
        _metrics.Excess(limit, ExcessAction.Drop);
        RateLimitLog.Dropped(_logger, sessionId, RateLimitMetrics.TagValue(limit), size);
    }

    internal void Closing(string sessionId, ExcessLimit limit)
    {
        _metrics.Excess(limit, ExcessAction.Close);
        RateLimitLog.Closing(_logger, sessionId, RateLimitMetrics.TagValue(limit));
    }
}

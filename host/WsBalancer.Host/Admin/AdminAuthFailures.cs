using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Http;

namespace WsBalancer.Host.Admin;

/// <summary>
/// Slows down guessing of the admin tokens: each remote address (an IPv6 address counts as its /64 network, see
/// <see cref="RemoteAddressKey"/>) may present <see cref="ServerSettings.AdminAuthFailureLimit"/> wrong tokens per window.
/// After that every admin request from it gets 429, even with the right token (otherwise a guess would still say
/// whether it was right), until the window passes. The windows are fixed windows of a <see cref="PartitionedRateLimiter"/>,
/// one partition per address, started by the address's first failure.
/// </summary>
/// <remarks>
/// At most <see cref="ServerSettings.AdminAuthFailureAddresses"/> addresses are counted each on its own. Once that many
/// have failed within a window, the failures of any further address share one count (the shared partition), so a
/// flood of addresses cannot grow memory nor escape the limit; the price is that, while the shared count is used up,
/// a new address gets 429 too. Addresses already counted are not affected. An address leaves the table a window after
/// its last failure, when its partition is full again.
/// </remarks>
internal sealed class AdminAuthFailures : IAsyncDisposable
{
    /// <summary>The reason of the 429 reply.</summary>
    public const string Reason = "TooManyAuthFailures";

    // Not an address, so no real address can share its partition.
    private const string SharedKey = "shared";

    // The partitioned limiter replenishes on a 100 ms heartbeat: a tracked address is dropped only once its window surely ended.
    private static readonly TimeSpan ReplenishMargin = TimeSpan.FromSeconds(1);

    // Null when the limit is 0 (off).
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly int _limit;
    private readonly TimeSpan _window;
    private readonly int _maxAddresses;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    // The addresses counted on their own, oldest failure first: the stale ones are dropped from the front.
    private readonly Dictionary<string, LinkedListNode<Tracked>> _tracked = new(StringComparer.Ordinal);
    private readonly LinkedList<Tracked> _byLastFailure = new();
    private long? _boundLoggedAt;

    public AdminAuthFailures(ServerSettings settings, TimeProvider time, ILogger logger)
    {
        _limit = settings.AdminAuthFailureLimit;
        _window = settings.AdminAuthFailureWindow;
        _maxAddresses = settings.AdminAuthFailureAddresses;
        _time = time;
        _logger = logger;
        if (_limit > 0)
        {
            var options = new FixedWindowRateLimiterOptions { PermitLimit = _limit, Window = _window, QueueLimit = 0 };
            _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => options));
        }
    }

    /// <summary>True when <paramref name="address"/> used up its wrong tokens; <paramref name="retryAfter"/> is then when to try again.</summary>
    public bool IsRefused(IPAddress? address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_limiter is null)
        {
            return false;
        }

        var key = RemoteAddressKey.Of(address);
        lock (_gate)
        {
            if (!_tracked.ContainsKey(key))
            {
                key = SharedKey; // untracked: only refused while the shared count is used up
            }
        }

        // Zero permits asks whether any are left without taking one.
        using var lease = _limiter.AttemptAcquire(key, 0);
        if (lease.IsAcquired)
        {
            return false;
        }

        // The fixed window's retry-after is its whole length: never too early, at most a window late.
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : _window;
        return true;
    }

    /// <summary>Counts one wrong token from <paramref name="address"/>; logs when that uses up its (or the shared) count.</summary>
    public void RecordFailure(IPAddress? address)
    {
        if (_limiter is null)
        {
            return;
        }

        var key = Track(RemoteAddressKey.Of(address));
        using var lease = _limiter.AttemptAcquire(key);
        if (lease.IsAcquired && _limiter.GetStatistics(key)?.CurrentAvailablePermits == 0)
        {
            AdminLog.AuthFailureLimitReached(_logger, key == SharedKey ? "untracked addresses" : key, _limit, GoDuration.Format(_window));
        }
    }

    /// <summary>The key to count <paramref name="key"/>'s failure under: its own, or the shared one when the table is full.</summary>
    private string Track(string key)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_tracked.TryGetValue(key, out var node))
            {
                _byLastFailure.Remove(node);
                node.Value = node.Value with { LastFailure = now };
                _byLastFailure.AddLast(node);
                return key;
            }

            DropStale(now);
            if (_tracked.Count < _maxAddresses)
            {
                _tracked.Add(key, _byLastFailure.AddLast(new Tracked(key, now)));
                return key;
            }

            // Logged once per window, not per request: a flood of addresses must not become a flood of log lines.
            if (_boundLoggedAt is not { } logged || _time.GetElapsedTime(logged, now) >= _window)
            {
                _boundLoggedAt = now;
                AdminLog.AuthFailureAddressesFull(_logger, _maxAddresses, key);
            }

            return SharedKey;
        }
    }

    private void DropStale(long now)
    {
        while (_byLastFailure.First is { } oldest && _time.GetElapsedTime(oldest.Value.LastFailure, now) > _window + ReplenishMargin)
        {
            _byLastFailure.RemoveFirst();
            _tracked.Remove(oldest.Value.Key);
        }
    }

    /// <summary>Whole seconds for a <c>Retry-After</c> header, rounded up (at least 1).</summary>
    public static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public ValueTask DisposeAsync() => _limiter?.DisposeAsync() ?? ValueTask.CompletedTask;

    private sealed record Tracked(string Key, long LastFailure);
}

using System.Threading.RateLimiting;

namespace WsBalancer.Plugins.RateLimit;

/// <summary>
/// A token bucket of messages without a timer: it is refilled from the time elapsed since the last look, whenever
/// a message asks for a token.
/// </summary>
/// <remarks>
/// <see cref="TokenBucketRateLimiter"/> with <c>AutoReplenishment = false</c> adds, on each <c>TryReplenish</c>,
/// the tokens earned since the previous call at the configured rate (continuously, not per whole period; measured on
/// its own monotonic clock). So the bucket costs no timer, however many sessions exist, and an idle one costs nothing.
/// Thread-safe: the two directions of a session, or many sessions of an address, may take tokens at once.
/// </remarks>
internal sealed class MessageBucket : IDisposable
{
    private readonly TokenBucketRateLimiter _limiter;

    public MessageBucket(double perSecond, int burst)
    {
        // The rate is all that matters to a continuous fill; a whole token count per period keeps the options valid.
        var tokensPerPeriod = (int)Math.Clamp(Math.Round(perSecond), 1, burst);
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromTicks(Math.Max(1, (long)(TimeSpan.TicksPerSecond * tokensPerPeriod / perSecond))),
            AutoReplenishment = false,
            QueueLimit = 0,
        });
    }

    /// <summary>Takes one token if there is one.</summary>
    /// <returns>False when the bucket is empty: the message is over the limit.</returns>
    public bool TryTake()
    {
        _limiter.TryReplenish();

        // The limiter's leases are shared instances: nothing is allocated per message.
        using var lease = _limiter.AttemptAcquire(1);
        return lease.IsAcquired;
    }

    /// <summary>Whether the bucket is full: forgetting it loses nothing, since a new bucket starts full too.</summary>
    public bool IsFull()
    {
        _limiter.TryReplenish();
        return _limiter.IdleDuration is not null;
    }

    public void Dispose() => _limiter.Dispose();
}

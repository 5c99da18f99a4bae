using Bogus;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Tests.Upstream;

public sealed class CircuitBreakerTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    private readonly Faker _faker = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryAcquire_Closed_AllowsEveryCall()
    {
        var breaker = new CircuitBreaker(_faker.Random.Int(1, 20), _time);

        var allowed = Enumerable.Range(0, 50).Select(_ => breaker.TryAcquire()).ToList();

        Assert.All(allowed, Assert.True);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.False(breaker.Tripped);
        Assert.True(breaker.Enabled);
    }

    [Fact]
    public void RecordFailure_ThresholdConsecutiveFailures_OpensExactlyAtThreshold()
    {
        var threshold = _faker.Random.Int(1, 20);
        var breaker = new CircuitBreaker(threshold, _time);

        for (var i = 1; i < threshold; i++)
        {
            Assert.False(breaker.RecordFailure());
            Assert.Equal(BreakerState.Closed, breaker.State);
            Assert.True(breaker.TryAcquire());
        }

        Assert.True(breaker.RecordFailure());

        Assert.Equal(BreakerState.Open, breaker.State);
        Assert.True(breaker.Tripped);
        Assert.Equal(threshold, breaker.ConsecutiveFailures);
        Assert.False(breaker.TryAcquire());
    }

    [Fact]
    public void RecordSuccess_BetweenFailures_ResetsStreak()
    {
        var threshold = _faker.Random.Int(2, 20);
        var breaker = new CircuitBreaker(threshold, _time);
        for (var i = 1; i < threshold; i++)
        {
            breaker.RecordFailure();
        }

        Assert.False(breaker.RecordSuccess());
        Assert.Equal(0, breaker.ConsecutiveFailures);
        for (var i = 1; i < threshold; i++)
        {
            Assert.False(breaker.RecordFailure());
        }

        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.True(breaker.RecordFailure());
        Assert.Equal(BreakerState.Open, breaker.State);
    }

    [Fact]
    public void TryAcquire_Open_RefusesUntilInitialBackoffElapsed()
    {
        var breaker = Tripped(_faker.Random.Int(1, 20));

        _time.Advance(CircuitBreaker.InitialBackoff - Tick);
        var beforeBackoff = breaker.TryAcquire();
        _time.Advance(Tick);
        var atBackoff = breaker.TryAcquire();

        Assert.False(beforeBackoff);
        Assert.True(atBackoff);
        Assert.Equal(BreakerState.HalfOpen, breaker.State);
        Assert.True(breaker.Tripped);
    }

    [Fact]
    public void TryAcquire_HalfOpenTrialInFlight_SecondCallRefused()
    {
        var breaker = Tripped(3);
        _time.Advance(CircuitBreaker.InitialBackoff);

        Assert.True(breaker.TryAcquire());
        Assert.False(breaker.TryAcquire());
        Assert.False(breaker.TryAcquire());
        Assert.Equal(BreakerState.HalfOpen, breaker.State);
    }

    [Fact]
    public async Task TryAcquire_ConcurrentCallersAfterBackoff_ExactlyOneGetsTrial()
    {
        var ct = TestContext.Current.CancellationToken;
        var breaker = Tripped(3);
        _time.Advance(CircuitBreaker.InitialBackoff);
        const int callers = 16;
        using var start = new Barrier(callers);

        // Dedicated threads (LongRunning): a barrier over pool threads could wait on pool growth.
        var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                // Released together, so the callers really race for the trial.
                start.SignalAndWait(ct);
                return breaker.TryAcquire();
            },
            ct,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(20), ct);

        Assert.Single(results, allowed => allowed);
        Assert.Equal(BreakerState.HalfOpen, breaker.State);
    }

    [Fact]
    public void RecordSuccess_Trial_ClosesBreaker()
    {
        var breaker = Tripped(3);
        _time.Advance(CircuitBreaker.InitialBackoff);
        Assert.True(breaker.TryAcquire());

        var closed = breaker.RecordSuccess();

        Assert.True(closed);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.False(breaker.Tripped);
        Assert.Equal(0, breaker.ConsecutiveFailures);
        Assert.True(breaker.TryAcquire());
        Assert.True(breaker.TryAcquire());
    }

    [Fact]
    public void RecordFailure_FailedTrials_ReopenWithBackoffs2s4s8sCappedAt60s()
    {
        var breaker = Tripped(3);
        _time.Advance(CircuitBreaker.InitialBackoff);
        Assert.True(breaker.TryAcquire());
        TimeSpan[] expected =
        [
            TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16),
            TimeSpan.FromSeconds(32), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60),
        ];

        foreach (var backoff in expected)
        {
            Assert.True(breaker.RecordFailure()); // the trial failed: open again
            Assert.Equal(BreakerState.Open, breaker.State);

            _time.Advance(backoff - Tick);
            Assert.False(breaker.TryAcquire());
            _time.Advance(Tick);
            Assert.True(breaker.TryAcquire()); // the next trial, exactly at the doubled back-off
            Assert.Equal(BreakerState.HalfOpen, breaker.State);
        }
    }

    [Fact]
    public void RecordSuccess_AfterLongBackoff_NextTripStartsAtInitialBackoff()
    {
        var breaker = Tripped(2);
        _time.Advance(CircuitBreaker.InitialBackoff);
        Assert.True(breaker.TryAcquire());
        breaker.RecordFailure(); // back-off now 2 s
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(breaker.TryAcquire());
        breaker.RecordSuccess();

        breaker.RecordFailure();
        Assert.True(breaker.RecordFailure());
        _time.Advance(CircuitBreaker.InitialBackoff);

        Assert.True(breaker.TryAcquire());
    }

    [Fact]
    public void Reset_Open_ClosesAndClearsStreak()
    {
        var breaker = Tripped(3);

        breaker.Reset();

        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.False(breaker.Tripped);
        Assert.Equal(0, breaker.ConsecutiveFailures);
        Assert.True(breaker.TryAcquire());
        Assert.False(breaker.RecordFailure());
        Assert.False(breaker.RecordFailure());
        Assert.True(breaker.RecordFailure());
    }

    [Fact]
    public void Reset_HalfOpenTrialInFlight_Closes()
    {
        var breaker = Tripped(3);
        _time.Advance(CircuitBreaker.InitialBackoff);
        Assert.True(breaker.TryAcquire());

        breaker.Reset();

        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire());
        Assert.True(breaker.TryAcquire());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void RecordFailure_ThresholdNotPositive_NeverTrips(int threshold)
    {
        var breaker = new CircuitBreaker(threshold, _time);

        var opened = Enumerable.Range(0, 1000).Count(_ => breaker.RecordFailure());

        Assert.Equal(0, opened);
        Assert.False(breaker.Enabled);
        Assert.False(breaker.Tripped);
        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire());
        Assert.True(breaker.TryAcquire());
    }

    [Fact]
    public void Abandon_TrialInFlight_HandsTrialBack()
    {
        var breaker = Tripped(3);
        _time.Advance(CircuitBreaker.InitialBackoff);
        Assert.True(breaker.TryAcquire());
        Assert.False(breaker.TryAcquire());

        breaker.Abandon();

        Assert.Equal(BreakerState.HalfOpen, breaker.State);
        Assert.True(breaker.TryAcquire());
        Assert.False(breaker.TryAcquire());
    }

    [Fact]
    public void Abandon_Closed_ChangesNothing()
    {
        var breaker = new CircuitBreaker(2, _time);
        breaker.RecordFailure();

        breaker.Abandon();

        Assert.Equal(BreakerState.Closed, breaker.State);
        Assert.Equal(1, breaker.ConsecutiveFailures);
        Assert.True(breaker.RecordFailure());
    }

    private CircuitBreaker Tripped(int threshold)
    {
        var breaker = new CircuitBreaker(threshold, _time);
        for (var i = 0; i < threshold; i++)
        {
            breaker.RecordFailure();
        }

        Assert.Equal(BreakerState.Open, breaker.State);
        return breaker;
    }
}

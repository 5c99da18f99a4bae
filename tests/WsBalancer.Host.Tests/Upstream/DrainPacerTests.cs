using Bogus;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Host.Upstream;

namespace WsBalancer.Host.Tests.Upstream;

public sealed class DrainPacerTests
{
    private readonly Faker _faker = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Started_AtRate_MovesEvenlySpacedByOneOverRate()
    {
        var rate = _faker.Random.Int(1, 200);
        var pacer = new DrainPacer(rate, _time);
        var moves = _faker.Random.Int(5, 40);
        var elapsed = TimeSpan.Zero;

        for (var i = 0; i < moves; i++)
        {
            var wait = pacer.DelayBeforeNext();
            Assert.Equal(i == 0 ? 0 : 1000.0 / rate, wait.TotalMilliseconds, 0.01);
            _time.Advance(wait);
            elapsed += wait;
            Assert.Equal(TimeSpan.Zero, pacer.DelayBeforeNext());
            pacer.Started();
        }

        Assert.Equal((moves - 1) * 1000.0 / rate, elapsed.TotalMilliseconds, 1);
    }

    [Fact]
    public void Started_AfterQuietSpell_NoBurst()
    {
        var pacer = new DrainPacer(4, _time);
        pacer.Started();
        _time.Advance(TimeSpan.FromSeconds(_faker.Random.Int(5, 60)));

        Assert.Equal(TimeSpan.Zero, pacer.DelayBeforeNext());
        pacer.Started();

        // The quiet spell earned no credit: the next move still waits a whole interval.
        Assert.Equal(TimeSpan.FromMilliseconds(250), pacer.DelayBeforeNext());
    }

    [Fact]
    public void Rate_Changed_AppliesFromTheNextMove()
    {
        var pacer = new DrainPacer(1, _time);
        pacer.Started();
        Assert.Equal(TimeSpan.FromSeconds(1), pacer.DelayBeforeNext());

        pacer.Rate = 20;
        _time.Advance(TimeSpan.FromSeconds(1));
        pacer.Started();

        Assert.Equal(TimeSpan.FromMilliseconds(50), pacer.DelayBeforeNext());
        Assert.Equal(20, pacer.Rate);
    }

    [Fact]
    public void Failed_ConsecutiveFailures_PauseExactlyAtThreshold_WithInitialBackoff()
    {
        var pacer = new DrainPacer(100, _time);
        for (var i = 1; i < DrainPacer.FailuresToPause; i++)
        {
            pacer.Started();
            Assert.False(pacer.Failed());
            Assert.False(pacer.Paused);
        }

        pacer.Started();
        Assert.True(pacer.Failed());
        Assert.True(pacer.Paused);
        Assert.Equal(DrainPacer.InitialBackoff, pacer.DelayBeforeNext());
    }

    [Fact]
    public void Failed_SuccessInBetween_ResetsTheCount()
    {
        var pacer = new DrainPacer(100, _time);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 1; i < DrainPacer.FailuresToPause; i++)
            {
                Assert.False(pacer.Failed());
            }

            Assert.False(pacer.Succeeded());
            Assert.False(pacer.Paused);
        }
    }

    [Fact]
    public void Failed_WhilePaused_BackoffDoublesUpToTheCap()
    {
        var pacer = PausedPacer();
        var expected = DrainPacer.InitialBackoff;
        for (var trial = 0; trial < 12; trial++)
        {
            Assert.Equal(expected, pacer.DelayBeforeNext());
            _time.Advance(expected);
            pacer.Started();
            Assert.False(pacer.Failed()); // already paused: not a new pause
            expected = expected * 2 > DrainPacer.MaxBackoff ? DrainPacer.MaxBackoff : expected * 2;
        }

        Assert.Equal(DrainPacer.MaxBackoff, pacer.DelayBeforeNext());
        Assert.True(pacer.Paused);
    }

    [Fact]
    public void Succeeded_WhilePaused_ResumesAtRate_AndTheNextPauseStartsAtInitialBackoff()
    {
        var pacer = PausedPacer();
        _time.Advance(DrainPacer.InitialBackoff);
        pacer.Started();
        pacer.Failed(); // back-off doubled
        _time.Advance(DrainPacer.InitialBackoff * 2);
        pacer.Started();

        Assert.True(pacer.Succeeded());
        Assert.False(pacer.Paused);
        _time.Advance(pacer.DelayBeforeNext());
        pacer.Started();
        Assert.Equal(TimeSpan.FromMilliseconds(10), pacer.DelayBeforeNext());

        for (var i = 0; i < DrainPacer.FailuresToPause; i++)
        {
            pacer.Failed();
        }

        Assert.Equal(DrainPacer.InitialBackoff, pacer.DelayBeforeNext());
    }

    [Fact]
    public void Started_WhilePaused_NextTrialWaitsTheBackoffNotTheInterval()
    {
        var pacer = new DrainPacer(0.1, _time); // one move per 10 s: longer than the back-off
        for (var i = 0; i < DrainPacer.FailuresToPause; i++)
        {
            pacer.Failed();
        }

        Assert.Equal(DrainPacer.InitialBackoff, pacer.DelayBeforeNext());
        _time.Advance(DrainPacer.InitialBackoff);
        pacer.Started();

        // The slower of the two applies, so a pause never moves faster than the rate.
        Assert.Equal(TimeSpan.FromSeconds(10), pacer.DelayBeforeNext());
    }

    private DrainPacer PausedPacer()
    {
        var pacer = new DrainPacer(100, _time);
        for (var i = 0; i < DrainPacer.FailuresToPause; i++)
        {
            pacer.Started();
            pacer.Failed();
        }

        Assert.True(pacer.Paused);
        return pacer;
    }
}

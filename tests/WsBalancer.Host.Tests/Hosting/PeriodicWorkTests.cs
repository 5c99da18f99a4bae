using WsBalancer.Host.Hosting;

namespace WsBalancer.Host.Tests.Hosting;

/// <summary>The folder watchers' loop: a round that throws is said once and the work goes on at the next tick.</summary>
public sealed class PeriodicWorkTests
{
    // Real time, short: the rounds follow each other on the work's own timer (it starts on the thread pool, so a fake
    // clock advanced by the test could tick before the timer exists).
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    [Fact]
    public async Task RoundsThrow_WorkGoesOn_EachRunOfFailuresSaidOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var work = new ScriptedWork(failing: [1, 2, 3, 5]);
        await work.StartAsync(ct);
        try
        {
            for (var round = 1; round <= 6; round++)
            {
                await work.WaitForRoundAsync(ct);
            }
        }
        finally
        {
            await work.StopAsync(ct);
        }

        // Round 6 began after round 5's failure was handled: rounds 1-3 are one run of failures, round 5 another.
        Assert.Equal([0, 1, 1, 1, 1, 2], work.FailuresSeenAtRoundStart.Take(6));
    }

    [Fact]
    public async Task Stopping_DuringARound_EndsWithoutAFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        var work = new ScriptedWork(failing: [], waitForStop: true);
        await work.StartAsync(ct);
        await work.WaitForRoundAsync(ct);
        await work.StopAsync(ct);

        Assert.Equal(0, work.Failures);
    }

    private sealed class ScriptedWork(int[] failing, bool waitForStop = false) : PeriodicWork(Interval, TimeProvider.System)
    {
        private readonly SemaphoreSlim _roundStarted = new(0);
        private int _round;

        // Read by the test once the round after the last it looks at has begun.
        public List<int> FailuresSeenAtRoundStart { get; } = [];

        public int Failures { get; private set; }

        public async Task WaitForRoundAsync(CancellationToken cancellationToken)
        {
            Assert.True(await _roundStarted.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken), "no round ran within 20 s");
        }

        protected override async Task RunOnceAsync(CancellationToken cancellationToken)
        {
            _round++;
            FailuresSeenAtRoundStart.Add(Failures);
            _roundStarted.Release();
            if (waitForStop)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken); // ends by the host's stop only
            }

            if (failing.Contains(_round))
            {
                throw new InvalidOperationException($"round {_round} failed");
            }
        }

        protected override void Failed(Exception exception) => Failures++;
    }
}

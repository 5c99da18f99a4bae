using System.Diagnostics;
using System.Net.WebSockets;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>
/// A live session that echoes numbered messages, one every 10 ms, for as long as a test does something bad to the
/// balancer: each echo must come back, in order, within <see cref="Bound"/>. <see cref="StopAsync"/> ends the loop and
/// fails the test when any echo was lost, late or out of order.
/// </summary>
public sealed class BystanderEcho : IAsyncDisposable
{
    /// <summary>Generous for a loaded 2-core test machine; an echo on an idle one takes well under a millisecond.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stop;
    private readonly Task<(int Echoes, TimeSpan Slowest)> _loop;

    private BystanderEcho(WebSocket session, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = EchoUntilAsync(session, _stop.Token, cancellationToken);
    }

    /// <summary>Starts echoing on <paramref name="session"/>, an open client of the balancer.</summary>
    public static BystanderEcho Start(WebSocket session, CancellationToken cancellationToken) => new(session, cancellationToken);

    /// <summary>Stops the loop; fails unless at least <paramref name="minimum"/> echoes came back, each within <see cref="Bound"/>.</summary>
    public async Task<(int Echoes, TimeSpan Slowest)> StopAsync(int minimum = 1)
    {
        await _stop.CancelAsync();
        var (echoes, slowest) = await _loop.WaitAsync(Timeouts.Default);
        Assert.True(echoes >= minimum, $"only {echoes} echoes");
        Assert.True(slowest < Bound, $"slowest echo took {slowest}");
        return (echoes, slowest);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(Timeouts.Default);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
        {
            // Disposed after a failure elsewhere in the test: that failure is the one to report.
        }

        _stop.Dispose();
    }

    private static async Task<(int Echoes, TimeSpan Slowest)> EchoUntilAsync(WebSocket session, CancellationToken stop, CancellationToken cancellationToken)
    {
        await Task.Yield(); // the caller goes on with its bad input at once
        var echoes = 0;
        var slowest = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            // Not cancelled by stop: an echo begun is finished, so the session is left with nothing in flight.
            await session.AssertEchoAsync($"echo {echoes}", cancellationToken);
            var took = Stopwatch.GetElapsedTime(started);
            slowest = took > slowest ? took : slowest;
            echoes++;
            try
            {
                await Task.Delay(10, stop); // a steady trickle, like a live client, not a second flood
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        return (echoes, slowest);
    }
}

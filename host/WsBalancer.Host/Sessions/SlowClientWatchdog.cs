using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// Enforces <c>server.frontend.write-timeout</c>: a client that has not taken a message within it is dropped, so a
/// slow reader cannot hold its session's buffers (and, through back-pressure, its backend) forever. The same tick
/// drives each session's other timed upkeep: keep-alive pings, the idle and stall timeouts (<see cref="SessionTimeouts"/>).
/// </summary>
/// <remarks>
/// One timer for the whole process instead of a deadline armed per send: a per-send timer costs a timer-queue update
/// and a token registration on every message. The check runs every quarter of the shortest timeout (50 ms to 1 s), so a
/// slow client is dropped between 1× and 1.25× the timeout.
/// </remarks>
internal sealed class SlowClientWatchdog(SessionRegistry sessions, ServerSettings settings, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = SessionTimeouts.SweepPeriod(settings);
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var session in sessions.Sessions)
                {
                    session.Tick(now);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

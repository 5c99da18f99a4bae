using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Sessions;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// The first part of a graceful shutdown: new sessions are refused (and <c>/ready</c> says so), live sessions get
/// <see cref="ServerSettings.DrainTimeout"/> to end by themselves, then the rest are closed with 1001.
/// </summary>
internal sealed class SessionDrain
{
    private readonly FrontendState _frontend;
    private readonly SessionRegistry _sessions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SessionDrain(FrontendState frontend, SessionRegistry sessions, TimeProvider time, ILogger logger)
    {
        _frontend = frontend;
        _sessions = sessions;
        _time = time;
        _logger = logger;
    }

    /// <summary>Drains; returns once no session is left, or once the forced closes had <paramref name="closeBound"/> to finish.</summary>
    /// <param name="timeout">How long sessions get to end by themselves; zero closes them at once.</param>
    /// <param name="closeBound">
    /// A backstop for the forced closes, each already bounded by the session's own timeouts (write, drain); what is
    /// still open after it is cut when the servers stop.
    /// </param>
    /// <param name="forced">Cancelled by a second signal: the wait ends at once.</param>
    public async Task RunAsync(TimeSpan timeout, TimeSpan closeBound, CancellationToken forced)
    {
        _frontend.BeginDraining();
        var live = _sessions.Count;
        HostingLog.Draining(_logger, live, GoDuration.Format(timeout));

        var trigger = await WaitForEmptyAsync(timeout, forced);
        var forcedCount = 0;
        if (trigger is not null)
        {
            // Sessions admitted before the drain began may still be dialing: they join later and are cut by the stop.
            var remaining = _sessions.Sessions.ToList();
            forcedCount = remaining.Count;
            HostingLog.Forcing(_logger, trigger, forcedCount);
            foreach (var session in remaining)
            {
                session.EndForShutdown();
            }

            if (await WaitForEmptyAsync(closeBound, CancellationToken.None) is not null)
            {
                HostingLog.ClosingTooLong(_logger, _sessions.Count, GoDuration.Format(closeBound));
            }
        }

        HostingLog.Drained(_logger, Math.Max(0, live - forcedCount), forcedCount);
    }

    /// <summary>Waits on the registry's own signal (no polling); null when it emptied, else what ended the wait.</summary>
    private async Task<string?> WaitForEmptyAsync(TimeSpan timeout, CancellationToken forced)
    {
        if (forced.IsCancellationRequested)
        {
            return _sessions.Count == 0 ? null : "second signal";
        }

        using var timer = new CancellationTokenSource(timeout, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, forced);
        try
        {
            await _sessions.WaitUntilEmptyAsync(deadline.Token);
            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return forced.IsCancellationRequested ? "second signal" : "drain timeout passed";
        }
    }
}

using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// The idle timeout (<c>server.idle-timeout</c>) and the stall timeout (<c>server.stall-timeout</c>) of a session, as
/// the watchdog's tick checks them. Both run on <see cref="Environment.TickCount64"/> stamps the data plane leaves
/// behind: the last activity (once per read batch on the relay, once per message on the message path) and the start
/// of a write to the backend that has not completed. No timer is armed per session or per message.
/// </summary>
internal static class SessionTimeouts
{
    /// <summary>What the session must do now: end idle, end stalled, or (null) nothing.</summary>
    /// <param name="lastActivity">Tick count of the last data message either way, or of the client's last frame.</param>
    /// <param name="backendWriteSince">Tick count at which a write to the backend began that has not completed; 0 when none waits.</param>
    /// <param name="now">The current tick count.</param>
    public static SessionCommand? Check(ServerSettings settings, long lastActivity, long backendWriteSince, long now)
    {
        // A stall comes first: a client sending into a backend that stopped reading is not idle, and it is the backend's fault.
        if (settings.StallTimeout > TimeSpan.Zero && backendWriteSince != 0 && now - backendWriteSince >= (long)settings.StallTimeout.TotalMilliseconds)
        {
            return SessionCommand.BackendStalled;
        }

        if (settings.IdleTimeout > TimeSpan.Zero && backendWriteSince == 0 && now - lastActivity >= (long)settings.IdleTimeout.TotalMilliseconds)
        {
            return SessionCommand.IdleTimeout;
        }

        return null;
    }

    /// <summary>Logs why the session is ended.</summary>
    public static void Log(ILogger logger, ServerSettings settings, string sessionId, string backendId, SessionCommand command)
    {
        if (ReferenceEquals(command, SessionCommand.BackendStalled))
        {
            SessionsLog.BackendStalled(logger, sessionId, backendId, settings.StallTimeout);
        }
        else
        {
            SessionsLog.IdleTimedOut(logger, sessionId, settings.IdleTimeout);
        }
    }

    /// <summary>
    /// How often the watchdog looks at every session: a quarter of the shortest of the write, idle and stall timeouts,
    /// from 50 ms to 1 s. A timeout is thus acted on between 1× and 1.25× of it (at least 1 s late for timeouts over 4 s).
    /// </summary>
    public static TimeSpan SweepPeriod(ServerSettings settings)
    {
        var shortest = settings.Frontend.WriteTimeout;
        foreach (var timeout in (ReadOnlySpan<TimeSpan>)[settings.IdleTimeout, settings.StallTimeout])
        {
            if (timeout > TimeSpan.Zero && timeout < shortest)
            {
                shortest = timeout;
            }
        }

        return TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
    }
}

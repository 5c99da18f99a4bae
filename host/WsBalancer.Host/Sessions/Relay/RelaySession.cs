using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Upstream;
using WsBalancer.Host.WebSockets;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions.Relay;

/// <summary>
/// A session that nothing needs to read: no valve, no script, no compression. Its frames go through two
/// <see cref="RelayPump"/>s on pipes (client → backend, backend → client) and never become messages.
/// </summary>
/// <remarks>
/// <para>
/// DESIGN: one supervisor (<see cref="SuperviseAsync"/>) owns every change of leg, as the message path's pump does:
/// it waits for a pump to end, a command, or the session's end, and acts. While a pump runs it alone writes its
/// outbound leg; frames others want on that leg (pongs, keep-alive pings, a close) go through its outbox. Once a
/// pump has ended, the supervisor writes that leg directly.
/// </para>
/// <para>
/// Zero loss: the client → backend pump holds each client message on the client's pipe until the flush that
/// carried it to the backend completed (the backend leg's writer completes a flush once the kernel took the
/// bytes). A failover abandons the pumps and starts new ones on the same client pipe: they begin with the first
/// message not confirmed, so what the dying backend's socket never took is sent, whole and in order, to the new
/// backend, as the message path replays its unsent messages. The backend → client pump forwards only messages that
/// have wholly arrived, so a backend that dies never leaves the client inside a message.
/// </para>
/// <para>
/// Back-pressure instead of queues: while a leg is being re-dialed nothing reads the client, whose bytes wait in
/// the frontend's connection buffer and then in TCP; a slow backend slows the client's pump the same way; a slow
/// client slows the backend's. So the pending-queue limits (and their 1013) do not apply to a relayed session;
/// the slow-client rule does (a flush to the client waiting longer than the write timeout drops it).
/// </para>
/// </remarks>
internal sealed partial class RelaySession : ILiveSession, ISessionDetails, ISessionControl
{
    // What the message path's WebSocket sends a client by default (an unsolicited pong every 2 minutes), so NATs keep the connection.
    private static readonly TimeSpan ClientKeepAlive = TimeSpan.FromMinutes(2);
    private static readonly Task<RelayOutcome> Never = new TaskCompletionSource<RelayOutcome>().Task;

    private readonly SessionServices _services;
    private readonly ServerSettings _settings;
    private readonly WebSocketUpstream _upstream;
    private readonly PluginLease _lease;
    private readonly ILogger _logger;
    private readonly IReadOnlyDictionary<string, string[]> _headers;
    private IReadOnlyDictionary<string, string[]>? _reconnectHeaders;
    private ConcurrentQueue<SessionCommand>? _commands;
    private TaskCompletionSource _attention = NewSignal();
    private CancellationTokenSource _lifetime = new();
    private RelayClient _client = null!;
    private IDuplexPipe _clientPipe = null!;
    private Action _abortClient = null!;
    private RelayBackendLeg _leg = null!;
    private RelayBackendLeg? _drainingLeg; // the leg left by a move, whose last replies the down pump still delivers
    private BackendSideEvents _backendEvents = new();
    private ProxySession? _pair;
    private PumpRun? _up;   // client → backend
    private PumpRun? _down; // backend → client
    private SessionEndReason? _endReason;
    private bool _backendLeftMidFrame; // the last client → backend pump left its backend leg inside a frame
    private long _receivedBefore; // by pumps that have ended
    private long _sentBefore;
    private int _reconnects;
    private bool _ended;
    private long _lastBackendPing;
    private BackendSideEvents? _pinged; // the leg (by its events) the last keep-alive ping went to
    private long _pongsAtPing;
    private long _lastClientKeepAlive;
    private long _activityBefore; // tick count of the last activity seen by pumps that have ended (or the session's start)
    private int _timedOut;        // 1 once the idle or stall timeout asked for the end

    public RelaySession(string id, Uri requestUri, IReadOnlyDictionary<string, string[]> headers, SessionServices services, WebSocketUpstream upstream, PluginLease lease)
    {
        Id = id;
        RequestUri = requestUri;
        RequestTarget = requestUri.PathAndQuery;
        _headers = headers;
        _services = services;
        _settings = services.Settings;
        _upstream = upstream;
        _lease = lease;
        _logger = services.Logger;
        StartedAt = services.Time.GetUtcNow();
    }

    public string Id { get; }

    public Uri RequestUri { get; }

    public string RequestTarget { get; }

    public DateTimeOffset StartedAt { get; }

    public string? RemoteAddress => _client?.RemoteAddress;

    public string BackendId => Volatile.Read(ref _leg)?.BackendId ?? string.Empty;

    public long MessagesReceived => Interlocked.Read(ref _receivedBefore) + (Volatile.Read(ref _up)?.Pump.MessagesDelivered ?? 0);

    public long MessagesSent => Interlocked.Read(ref _sentBefore) + (Volatile.Read(ref _down)?.Pump.MessagesDelivered ?? 0);

    public int Reconnects => Volatile.Read(ref _reconnects);

    public int PendingMessages => 0;

    public SessionPath Path => SessionPath.Relay;

    /// <summary>Why the session ended; null until its last listener call is about to be made.</summary>
    public SessionEndReason? FinalReason { get; private set; }

    string? ISessionDetails.EndReason => FinalReason?.ToString();

    private TimeSpan DrainTimeout => _settings.FailoverDrainTimeout;

    private IReadOnlyDictionary<string, string[]> ReconnectHeaders => _reconnectHeaders ??=
        new Dictionary<string, string[]>(_headers, StringComparer.OrdinalIgnoreCase) { [_settings.ReconnectHeader] = ["1"] };

    /// <summary>Dials the first backend leg. Throws what the upstream throws; the plugin versions are then let go.</summary>
    public async Task<RelayBackendLeg> DialFirstAsync(CancellationToken cancellationToken)
    {
        try
        {
            _leg = await _upstream.DialRelayAsync(RequestUri, _headers, null, cancellationToken);
            return _leg;
        }
        catch
        {
            _lease.Release();
            throw;
        }
    }

    /// <summary>The client could not be accepted after the first dial: closes that leg and lets the plugin versions go.</summary>
    public async Task AbandonAsync()
    {
        try
        {
            await _leg.DisposeAsync();
        }
        finally
        {
            _lease.Release();
        }
    }

    /// <summary>Runs the session over the upgraded client connection until it ends; never throws.</summary>
    /// <param name="client">The client as plugins see it.</param>
    /// <param name="transport">The client connection's pipes, past its 101.</param>
    /// <param name="abortClient">Drops the client connection at once (the slow-client rule).</param>
    public async Task RunAsync(RelayClient client, IDuplexPipe transport, Action abortClient, CancellationToken requestAborted)
    {
        _client = client;
        _clientPipe = transport;
        _abortClient = abortClient;
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _services.Stopping);
        _lifetime.Token.UnsafeRegister(static state => ((RelaySession)state!).RequestAttention(), this);
        _lastBackendPing = _lastClientKeepAlive = Stopwatch.GetTimestamp();
        _activityBefore = Environment.TickCount64;
        _services.Registry.Add(this);
        StartPair();
        SessionsLog.Started(_logger, Id, _leg.BackendId, RequestUri);
        _services.Registry.Placed(this, _leg, _logger);
        // The client pump answers the client's pings through the backend pump's outbox: that one runs first, for a
        // client whose first bytes (pings included) are already waiting is served at once by the client pump.
        StartDown();
        StartUp();

        SessionEndReason reason;
        try
        {
            reason = await SuperviseAsync();
        }
        catch (Exception ex)
        {
            SessionsLog.Failed(_logger, Id, ex);
            reason = SessionEndReason.Failed;
        }

        await EndAsync(reason);
    }

    public Task<FailoverResult> RequestFailoverAsync()
    {
        var command = SessionCommand.Failover();
        Post(command);
        return command.Outcome!.Task;
    }

    public void Abort() => Post(SessionCommand.Abort);

    public void EndForDeletedBackend() => Post(SessionCommand.BackendDeleted);

    /// <summary>A plugin ends the session with its own close code.</summary>
    public void Close(int code, string? reason)
    {
        var command = SessionCommand.Close(code, reason); // throws for a code no peer may send
        if (!Volatile.Read(ref _ended))
        {
            Post(command);
        }
    }

    /// <summary>
    /// The slow-client rule (a flush to the client waiting longer than the write timeout drops it) and the keep-alives:
    /// a ping to the backend every ping-time (a backend that did not answer the previous one is dropped, which fails
    /// the session over), an unsolicited pong to the client every 2 minutes.
    /// </summary>
    public bool Tick(long now)
    {
        if (Volatile.Read(ref _ended) || Volatile.Read(ref _down) is not { } down)
        {
            return false;
        }

        var waitingSince = down.Pump.FlushWaitingSince;
        if (waitingSince != 0 && Stopwatch.GetElapsedTime(waitingSince, now) > _settings.Frontend.WriteTimeout)
        {
            SessionsLog.ClientTooSlow(_logger, Id);
            _endReason ??= SessionEndReason.ClientTooSlow;
            _abortClient();
            return true;
        }

        if (Stopwatch.GetElapsedTime(_lastClientKeepAlive, now) >= ClientKeepAlive)
        {
            _lastClientKeepAlive = now;
            down.Pump.Outbox.TryEnqueue(WsOpcode.Pong, []);
        }

        KeepBackendAlive(now);
        CheckTimeouts(down);
        return false;
    }

    /// <summary>
    /// The idle timeout (nothing either way: no data frame, no frame from the client) and the stall timeout (a flush
    /// to the backend that has not completed: its socket takes nothing). Either posts its close once.
    /// </summary>
    private void CheckTimeouts(PumpRun down)
    {
        var up = Volatile.Read(ref _up);
        var lastActivity = Math.Max(Interlocked.Read(ref _activityBefore), Math.Max(down.Pump.LastActivity, up?.Pump.LastActivity ?? 0));
        var now = Environment.TickCount64;
        var flushSince = up?.Pump.FlushWaitingSince ?? 0; // a Stopwatch stamp: brought onto the tick count
        var backendWriteSince = flushSince == 0 ? 0 : now - (long)Stopwatch.GetElapsedTime(flushSince).TotalMilliseconds;
        if (SessionTimeouts.Check(_settings, lastActivity, backendWriteSince, now) is { } command
            && Interlocked.Exchange(ref _timedOut, 1) == 0)
        {
            SessionTimeouts.Log(_logger, _settings, Id, BackendId, command);
            Post(command);
        }
    }

    private void KeepBackendAlive(long now)
    {
        var leg = Volatile.Read(ref _leg);
        var pingTime = leg.Backend.Settings.PingTime;
        if (pingTime <= TimeSpan.Zero || Stopwatch.GetElapsedTime(_lastBackendPing, now) < pingTime || Volatile.Read(ref _up) is not { } up)
        {
            return;
        }

        var events = Volatile.Read(ref _backendEvents);
        if (ReferenceEquals(_pinged, events) && events.Pongs == _pongsAtPing)
        {
            SessionsLog.BackendUnresponsive(_logger, Id, leg.BackendId, pingTime);
            leg.Abort(); // its pumps see the leg lost: the session fails over
            _pinged = null;
            return;
        }

        _lastBackendPing = now;
        _pinged = events;
        _pongsAtPing = events.Pongs;
        up.Pump.Outbox.TryEnqueue(WsOpcode.Ping, []);
    }

    private void Post(SessionCommand command)
    {
        Commands.Enqueue(command);
        if (Volatile.Read(ref _ended))
        {
            FailPendingCommands();
            return;
        }

        RequestAttention();
    }

    private ConcurrentQueue<SessionCommand> Commands =>
        Volatile.Read(ref _commands) ?? Interlocked.CompareExchange(ref _commands, new(), null) ?? _commands!;

    /// <summary>Wakes the supervisor: it looks at its commands and its lifetime before it waits again.</summary>
    private void RequestAttention() => Interlocked.Exchange(ref _attention, NewSignal()).TrySetResult();

    private void FailPendingCommands()
    {
        while (_commands is not null && _commands.TryDequeue(out var command))
        {
            command.Outcome?.TrySetResult(FailoverResult.Failed("session ended"));
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ControlFrameOutbox? ClientOutbox() => Volatile.Read(ref _down)?.Pump.Outbox;

    private void StartUp()
    {
        var options = RelayPumpOptions.ClientToBackend(_settings.MaxMessageBytes) with
        {
            HoldUntilFlushed = true,
            ControlFramesAreActivity = true,
            Holdings = new BufferAccount(_services.Budget),
        };
        var leg = _leg;
        var pump = new RelayPump(_clientPipe.Input, leg.Transport.Output, options, new ClientSideEvents(ClientOutbox));
        _backendEvents.Writer = pump;
        Volatile.Write(ref _up, PumpRun.Start(pump, leg.Abort, DrainTimeout, _services.Time));
    }

    private void StartDown()
    {
        var options = RelayPumpOptions.BackendToClient(_settings.MaxMessageBytes) with { WholeMessages = true, Holdings = new BufferAccount(_services.Budget) };
        var pump = new RelayPump(_leg.Transport.Input, _clientPipe.Output, options, _backendEvents);
        Volatile.Write(ref _down, PumpRun.Start(pump, _abortClient, _settings.Frontend.WriteTimeout, _services.Time));
    }

    /// <summary>A pump has ended: its messages join the session's totals.</summary>
    private void Retire(PumpRun run, bool up)
    {
        if (run.Run.IsCompletedSuccessfully)
        {
            SessionsLog.PumpEnded(_logger, Id, up ? "client" : "backend", _leg.BackendId, run.Run.Result.End, run.Pump.MessagesDelivered);
        }

        RaiseActivityBefore(run.Pump.LastActivity);
        run.Pump.ReleaseHoldings(); // a successor on the same reader counts what it finds there itself
        if (up)
        {
            Interlocked.Add(ref _receivedBefore, run.Pump.MessagesDelivered);
            Volatile.Write(ref _up, null);
            _backendLeftMidFrame = run.Run.Result.OutboundMidFrame;
            if (ReferenceEquals(_backendEvents.Writer, run.Pump))
            {
                _backendEvents.Writer = null; // a later close from that backend has no writer left to stop
            }
        }
        else
        {
            Interlocked.Add(ref _sentBefore, run.Pump.MessagesDelivered);
            Volatile.Write(ref _down, null);
        }
    }

    /// <summary>Keeps the latest activity of a pump that ends (the watchdog reads it concurrently: never lowered).</summary>
    private void RaiseActivityBefore(long activity)
    {
        var seen = Interlocked.Read(ref _activityBefore);
        while (activity > seen)
        {
            var previous = Interlocked.CompareExchange(ref _activityBefore, activity, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private void StartPair()
    {
        _pair = new ProxySession(_client, _leg);
        SessionListeners.Notify(_lease.Snapshot, _pair, created: true, _services.Faults, _logger, Id);
    }

    private void EndPair()
    {
        if (_pair is not null)
        {
            SessionListeners.Notify(_lease.Snapshot, _pair, created: false, _services.Faults, _logger, Id);
        }
    }

    private async Task EndAsync(SessionEndReason reason)
    {
        if (_up is { } up)
        {
            await up.AbandonAsync();
            Retire(up, up: true);
        }

        if (_down is { } down)
        {
            await down.AbandonAsync();
            Retire(down, up: false);
        }

        // Completing the connection's pipes lets Kestrel send what is left (a close frame) and close the connection.
        await _clientPipe.Input.CompleteAsync();
        await _clientPipe.Output.CompleteAsync();
        try
        {
            await _leg.DisposeAsync();
            if (_drainingLeg is not null)
            {
                await _drainingLeg.DisposeAsync();
            }
        }
        catch (Exception ex)
        {
            SessionsLog.Failed(_logger, Id, ex);
        }

        _services.Registry.Remove(this);
        FinalReason = _endReason ?? reason;
        EndPair();
        _lease.Release();
        // A full fence, not a release: Post enqueues and then reads _ended, this writes _ended and then looks at the
        // queue; with a plain store both could miss the other and a command would never be answered.
        Interlocked.Exchange(ref _ended, true);
        FailPendingCommands();
        _services.Metrics.SessionEnded(_services.Time.GetUtcNow() - StartedAt);
        _lifetime.Dispose();
        SessionsLog.Ended(_logger, Id, FinalReason.Value);
    }
}

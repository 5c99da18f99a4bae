using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Configuration;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.Hosting;
using WsBalancer.Host.Plugins;
using WsBalancer.Host.Scripting;
using WsBalancer.Host.WebSockets;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// One client and its current backend leg. Two loops run per session: the client reader (client → valves →
/// pending queue) and the pump (backend leg's Send → valves → client), which also owns every failover, so a
/// leg is only ever replaced from one place.
/// </summary>
internal sealed partial class BalancerSession : ILiveSession, ISessionDetails, ISessionControl, IScriptedSession
{
    private readonly SessionServices _services;
    private readonly ServerSettings _settings;
    private readonly ILogger _logger;
    private readonly PendingQueue _queue;
    // Wakes the pump from a wait on its leg's Send channel; never forwarded, recognized by reference.
    private static readonly WsMessage WakeSignal = new(WsMessageType.RemoteConnectionAbnormalClosure, ReadOnlyMemory<byte>.Empty);

    private readonly IReadOnlyDictionary<string, string[]> _headers;
    private IReadOnlyDictionary<string, string[]>? _reconnectHeaders; // built by the first re-dial: most sessions never make one
    private CancellationTokenSource _lifetime = new();
    private ConcurrentQueue<SessionCommand>? _commands; // created by the first command: most sessions never get one
    private ClientLeg _client = null!;
    private BackendLeg _leg;
    private ValveChain _valves = ValveChain.Empty;
    private ProxySession? _pair;
    private readonly PluginLease _lease; // the plugin versions this session started with, held until it ends
    private ScriptSession? _scripts;
    private SessionEndReason? _endReason;
    private (int Code, string Reason)? _clientClose;
    private long _messagesReceived;
    private long _messagesSent;
    private int _reconnects;
    private bool _ended;
    private bool _readerStopped;
    private int _attention; // 1 when a command or the end of the lifetime waits for the pump
    private long _lastActivity; // tick count of the last message either way (the idle timeout)
    private ClientReadActivity? _clientReads; // with an idle timeout: the client's last frame, its pings included
    private int _timedOut; // 1 once the idle or stall timeout asked for the end

    /// <param name="lease">The plugin versions this session starts with, held until it ends.</param>
    public BalancerSession(string id, Uri requestUri, IReadOnlyDictionary<string, string[]> headers, SessionServices services, PluginLease lease)
    {
        _lease = lease;
        Id = id;
        RequestUri = requestUri;
        RequestTarget = requestUri.PathAndQuery;
        _services = services;
        _settings = services.Settings;
        _logger = services.Logger;
        _headers = headers;
        _queue = new PendingQueue(_settings.MaxPendingMessages, _settings.MaxPendingBytes, new BufferAccount(services.Budget));
        _leg = new BackendLeg(_queue);
        StartedAt = services.Time.GetUtcNow();
    }

    public string Id { get; }

    /// <summary>The first dial's headers plus the reconnect header, which tells a backend the session is resumed.</summary>
    private IReadOnlyDictionary<string, string[]> ReconnectHeaders => _reconnectHeaders ??=
        new Dictionary<string, string[]>(_headers, StringComparer.OrdinalIgnoreCase) { [_settings.ReconnectHeader] = ["1"] };

    public Uri RequestUri { get; }

    public string RequestTarget { get; }

    public DateTimeOffset StartedAt { get; }

    public string? RemoteAddress => _client?.RemoteAddress;

    public string BackendId => Volatile.Read(ref _leg).Connection?.BackendId ?? string.Empty;

    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    public int Reconnects => Volatile.Read(ref _reconnects);

    public int PendingMessages => _queue.Count;

    public SessionPath Path => SessionPath.Message;

    /// <summary>Why the session ended; null until its last listener call is about to be made.</summary>
    public SessionEndReason? FinalReason { get; private set; }

    string? ISessionDetails.EndReason => FinalReason?.ToString();

    /// <summary>
    /// Dials the first backend leg with the dialer of the session's plugin snapshot. Throws what the dialer throws;
    /// nothing is registered yet, and the snapshot's versions are let go again.
    /// </summary>
    public async Task<IBackendConnection> DialFirstAsync(CancellationToken cancellationToken)
    {
        try
        {
            await InlineIo.LeaveIoThread(); // a plugin dialer may block
            var connection = await _lease.Snapshot.Dialer.DialUpstreamAsync(_leg.CreateDialContext(RequestUri, _headers, null), cancellationToken);
            _leg.Connection = connection;
            return connection;
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
            await _leg.Connection.CloseAsync();
        }
        finally
        {
            _lease.Release();
        }
    }

    /// <summary>The dialer for a failover: the current one (a reloaded dialer plugin serves re-dials at once), held for this session.</summary>
    private IBackendDialer CurrentDialer => _services.Plugins.HoldCurrentDialer(_lease!);

    /// <summary>Runs the session over the accepted client until it ends; never throws.</summary>
    /// <param name="clientReads">When the idle timeout is on: when the client's connection last brought bytes.</param>
    public async Task RunAsync(ClientLeg client, ClientReadActivity? clientReads, CancellationToken requestAborted)
    {
        _client = client;
        _clientReads = clientReads;
        _lastActivity = Environment.TickCount64;
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _services.Stopping);
        _lifetime.Token.UnsafeRegister(static state => ((BalancerSession)state!).RequestAttention(), this);
        _services.Registry.Add(this);
        StartPair(_leg);
        SessionsLog.Started(_logger, Id, _leg.Connection.BackendId, RequestUri);
        _services.Registry.Placed(this, _leg.Connection, _logger);
        _scripts = new ScriptSession(_services.Scripts, ScriptInfo(), this, _services.ScriptFaults, _services.Metrics, _services.Time, _logger);
        await _scripts.OnOpenAsync();

        var reader = ReadClientAsync();
        SessionEndReason reason;
        try
        {
            reason = await PumpAsync();
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            reason = _endReason ?? (_services.Stopping.IsCancellationRequested ? SessionEndReason.ShuttingDown : SessionEndReason.ClientGone);
        }
        catch (Exception ex)
        {
            SessionsLog.Failed(_logger, Id, ex);
            reason = SessionEndReason.Failed;
        }

        await EndAsync(reason, reader);
    }

    /// <summary>Asks the pump for a make-before-break move to another backend.</summary>
    public Task<FailoverResult> RequestFailoverAsync()
    {
        var command = SessionCommand.Failover();
        Post(command);
        return command.Outcome!.Task;
    }

    /// <summary>Drops the client when a write to it has taken longer than the write timeout; true when it did.</summary>
    public bool Tick(long now)
    {
        if (_client is null)
        {
            return false;
        }

        if (!_client.IsSendOverdue(now))
        {
            CheckTimeouts();
            return false;
        }

        SessionsLog.ClientTooSlow(_logger, Id);
        _endReason ??= SessionEndReason.ClientTooSlow;
        _client.Abort();
        return true;
    }

    /// <summary>
    /// The idle timeout (no message either way, no frame from the client) and the stall timeout (the client reader has
    /// waited for room in the queue, which only the backend leg frees, all that time). Either posts its close once.
    /// </summary>
    private void CheckTimeouts()
    {
        var lastActivity = Math.Max(Volatile.Read(ref _lastActivity), _clientReads?.LastRead ?? 0);
        if (SessionTimeouts.Check(_settings, lastActivity, _queue.WaitingForRoomSince, Environment.TickCount64) is { } command
            && Interlocked.Exchange(ref _timedOut, 1) == 0)
        {
            SessionTimeouts.Log(_logger, _settings, Id, BackendId, command);
            Post(command);
        }
    }

    /// <summary>Ends the session: the client gets a normal close (1000) and the backend leg is closed.</summary>
    public void Abort() => Post(SessionCommand.Abort);

    /// <summary>Ends the session because its backend was deleted and no other backend took it (1011).</summary>
    public void EndForDeletedBackend() => Post(SessionCommand.BackendDeleted);

    /// <summary>A plugin or script ends the session with its own close code.</summary>
    public void Close(int code, string? reason)
    {
        var command = SessionCommand.Close(code, reason); // throws for a code no peer may send
        if (!Volatile.Read(ref _ended))
        {
            Post(command);
        }
    }

    /// <summary>Queues a command for the pump and wakes it; the pump is the only place a leg changes.</summary>
    private void Post(SessionCommand command)
    {
        Commands.Enqueue(command);
        if (Volatile.Read(ref _ended))
        {
            FailPendingCommands(); // the pump is gone: nobody else would ever answer
            return;
        }

        RequestAttention();
    }

    private ConcurrentQueue<SessionCommand> Commands =>
        Volatile.Read(ref _commands) ?? Interlocked.CompareExchange(ref _commands, new(), null) ?? _commands!;

    /// <summary>
    /// Flags the pump and drops a wake signal into the current leg's Send channel, so a pump waiting there looks
    /// at the flag. The pump changes legs with a full fence and checks the flag before every wait, so either it
    /// sees the flag or this sees its new leg. The write is queued to the pool: Send runs its reader's
    /// continuations inline, and the pump must not run on an administrator's or a timer's thread.
    /// </summary>
    private void RequestAttention()
    {
        Interlocked.Exchange(ref _attention, 1);
        ThreadPool.UnsafeQueueUserWorkItem(static session => Volatile.Read(ref session._leg).Send.Writer.TryWrite(WakeSignal), this, preferLocal: false);
    }

    private void FailPendingCommands()
    {
        while (_commands is not null && _commands.TryDequeue(out var command))
        {
            command.Outcome?.TrySetResult(FailoverResult.Failed("session ended"));
        }
    }

    /// <summary>
    /// Client → valves → pending queue. Once a close has been sent to the client, whatever it still sends is read
    /// and dropped until its close arrives, so the close handshake completes (RFC 6455 §7.1.1).
    /// </summary>
    private async Task ReadClientAsync()
    {
        var receiver = new MessageReceiver(_client.Socket, _settings.ReadBufferSize, _settings.MaxMessageBytes);
        try
        {
            while (true)
            {
                // No token: a cancellable receive registers a callback per call, and stopping is done by aborting the socket.
                var received = await receiver.ReceiveAsync(CancellationToken.None);
                if (received.Status == ReceiveStatus.Closed)
                {
                    if (!_client.CloseSent)
                    {
                        var code = (int?)_client.Socket.CloseStatus ?? 1005;
                        ClientLeaving(code, _client.Socket.CloseStatusDescription ?? string.Empty, SessionEndReason.ClientClosed);
                    }

                    return;
                }

                if (_client.CloseSent || _lifetime.IsCancellationRequested)
                {
                    continue;
                }

                if (received.Status == ReceiveStatus.TooBig)
                {
                    SessionsLog.ClientMessageTooBig(_logger, Id, _settings.MaxMessageBytes);
                    await EndWithCloseAsync(SessionEndReason.MessageTooBig, 1009, "message too big");
                    continue;
                }

                Interlocked.Increment(ref _messagesReceived);
                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                await InlineIo.LeaveIoThread(); // valves and scripts are not ours to run on a socket event thread
                var message = await _valves.BeforeTransmitAsync(received.Message!);
                if (message is null)
                {
                    continue;
                }

                // Scripts run after the plugin valves on the way to the backend; null: the message as it is.
                var scripted = await _scripts!.BeforeTransmitAsync(message);
                if (scripted is null)
                {
                    await ToBackendAsync(message);
                    continue;
                }

                for (var i = 0; i < scripted.Count; i++)
                {
                    await ToBackendAsync(scripted[i]);
                }
            }
        }
        catch (Exception ex) when (Volatile.Read(ref _readerStopped) && ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_client.CloseSent)
            {
                ClientLeaving(1001, "client went away", SessionEndReason.ClientGone);
            }
        }
    }

    /// <summary>
    /// The client closed or vanished. Everything it sent before still goes to the backend, followed by its close;
    /// the backend's replies until its own close still reach a closing client. Bounded by the drain timeout.
    /// </summary>
    /// <summary>Waits for room in the queue; a session that is ending accepts (and drops) the message instead.</summary>
    private async ValueTask<EnqueueOutcome> EnqueueAsync(WsMessage message)
    {
        try
        {
            return await _queue.EnqueueAsync(message, _lifetime.Token);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            return EnqueueOutcome.Accepted;
        }
    }

    private void ClientLeaving(int code, string reason, SessionEndReason endReason)
    {
        _clientClose = (code, reason);
        _endReason ??= endReason;
        _queue.EnqueueSignal(WsMessage.NormalClosure((int)WsMessageTypes.ToWireCloseStatus(code), reason));
        try
        {
            _lifetime.CancelAfter(_settings.FailoverDrainTimeout);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task EndWithCloseAsync(SessionEndReason reason, int code, string text)
    {
        _endReason ??= reason;
        await _client.CloseAsync(code, text);
        CancelLifetime();
    }

    private void CancelLifetime()
    {
        try
        {
            _lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task<SessionEndReason> PumpAsync()
    {
        while (true)
        {
            if (Volatile.Read(ref _attention) == 1 && Interlocked.Exchange(ref _attention, 0) == 1)
            {
                _lifetime.Token.ThrowIfCancellationRequested();
                if (_commands is { } commands && commands.TryDequeue(out var command))
                {
                    if (!commands.IsEmpty)
                    {
                        Volatile.Write(ref _attention, 1); // one command at a time; the next on the next turn
                    }

                    if (command.Outcome is null)
                    {
                        if (ReferenceEquals(command, SessionCommand.Shutdown))
                        {
                            await DeliverHeldForClientAsync();
                        }

                        _endReason ??= command.EndReason;
                        var closing = _client.CloseAsync(command.CloseCode, command.CloseReason);
                        if (command.DropsBackend)
                        {
                            // The client reader waits for room a stalled backend never frees: release it (the close is
                            // marked sent by now, so what it holds is dropped) to read the client's answer to our close.
                            _queue.BeginHolding();
                        }

                        await closing;
                        return command.EndReason;
                    }

                    try
                    {
                        await MoveAsync(command.Outcome);
                    }
                    finally
                    {
                        // Every way out of a move answers its requester: the session's end cancels the dial, and an
                        // administrator (a delete, a drain) would otherwise wait for ever. After an answer, a no-op.
                        command.Outcome.TrySetResult(FailoverResult.Failed("session ended"));
                    }

                    continue;
                }
            }

            var send = _leg.Send.Reader;
            if (!send.TryRead(out var message))
            {
                // No token: a cancellable wait allocates; commands and the lifetime's end arrive as WakeSignal.
                if (await send.WaitToReadAsync())
                {
                    continue;
                }

                message = WsMessage.AbnormalClosure(); // the leg went away without a word: treat as lost
            }

            if (ReferenceEquals(message, WakeSignal))
            {
                continue;
            }

            switch (message.Type)
            {
                case WsMessageType.Text or WsMessageType.Binary:
                    await InlineIo.LeaveIoThread(); // the backend leg's reader may have handed it over on an event thread
                    if (!await ForwardToClientAsync(message, _valves))
                    {
                        return _endReason ?? SessionEndReason.ClientGone;
                    }

                    break;
                case WsMessageType.RemoteConnectionNormalClosure:
                    if (_clientClose is { } clientClose)
                    {
                        await _client.CloseAsync(clientClose.Code, clientClose.Reason);
                        return _endReason ?? SessionEndReason.ClientClosed;
                    }

                    var (code, reason) = message.GetCloseStatus();
                    await _client.CloseAsync(code, reason);
                    return SessionEndReason.BackendClosed;
                case WsMessageType.RemoteConnectionAbnormalClosure:
                    if (_clientClose is not null)
                    {
                        return _endReason ?? SessionEndReason.ClientClosed;
                    }

                    if (!await RecoverAsync())
                    {
                        return SessionEndReason.NoBackend;
                    }

                    break;
            }
        }
    }

    /// <summary>A client message after its valves and scripts: to the pending queue, whose overflow ends the session with 1013.</summary>
    private async ValueTask ToBackendAsync(WsMessage message)
    {
        if (await EnqueueAsync(message) == EnqueueOutcome.Overflow && !_client.CloseSent)
        {
            SessionsLog.PendingOverflow(_logger, Id, _queue.Count, _queue.Bytes);
            await EndWithCloseAsync(SessionEndReason.PendingOverflow, 1013, "pending queue overflow while reconnecting to a backend");
        }
    }

    /// <summary>Scripts (before the plugin valves on the way back), valves, then the client. False when the client can no longer be written to.</summary>
    private async ValueTask<bool> ForwardToClientAsync(WsMessage message, ValveChain valves)
    {
        var scripted = _scripts is null ? null : await _scripts.AfterReceiveAsync(message);
        if (scripted is null)
        {
            return await ForwardThroughValvesAsync(message, valves);
        }

        for (var i = 0; i < scripted.Count; i++)
        {
            if (!await ForwardThroughValvesAsync(scripted[i], valves))
            {
                return false;
            }
        }

        return true;
    }

    private async ValueTask<bool> ForwardThroughValvesAsync(WsMessage message, ValveChain valves)
    {
        var filtered = await valves.AfterReceiveAsync(message);
        if (filtered is null)
        {
            return true;
        }

        try
        {
            await _client.SendAsync(filtered);
            Interlocked.Increment(ref _messagesSent);
            Volatile.Write(ref _lastActivity, Environment.TickCount64);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            return false; // the client is gone, or the watchdog dropped it as too slow (then _endReason says so)
        }
    }

    private async Task EndAsync(SessionEndReason reason, Task reader)
    {
        if (!_client.CloseSent)
        {
            // A client that closed first gets its own code back; otherwise say why the session ends.
            var (code, text) = _clientClose ?? (1001, reason == SessionEndReason.ShuttingDown ? "balancer shutting down" : "session ended");
            await _client.CloseAsync(code, text);
        }

        if (!reader.IsCompleted)
        {
            // Let the client answer our close: stopping the read now would reset the TCP connection and could
            // destroy the close frame before the client reads it.
            await Task.WhenAny(reader, Task.Delay(_settings.FailoverDrainTimeout, _services.Time));
        }

        if (!reader.IsCompleted)
        {
            Volatile.Write(ref _readerStopped, true);
            _client.Abort();
        }

        CancelLifetime();
        await reader;
        if (_scripts is not null)
        {
            var (closeCode, closeReason) = _clientClose ?? (1001, (_endReason ?? reason).ToString());
            await _scripts.CloseAsync(closeCode, closeReason);
        }

        try
        {
            await ReleaseLegAsync(_leg);
        }
        catch (Exception ex)
        {
            // The leg may be a plugin's: its failure to close must not keep the session from being cleaned up.
            SessionsLog.Failed(_logger, Id, ex);
        }

        _queue.Complete();
        _services.Registry.Remove(this);
        FinalReason = _endReason ?? reason;
        if (_pair is not null)
        {
            NotifyTerminated(_pair);
        }

        _lease.Release();
        // A full fence, not a release: Post enqueues and then reads _ended, this writes _ended and then looks at the
        // queue; with a plain store both could miss the other and a command would never be answered.
        Interlocked.Exchange(ref _ended, true);
        FailPendingCommands();

        _services.Metrics.SessionEnded(_services.Time.GetUtcNow() - StartedAt);
        _lifetime.Dispose();
        SessionsLog.Ended(_logger, Id, _endReason ?? reason);
    }

    /// <summary>Detaches a leg, closes its connection (which stops it consuming), and stops listening to it.</summary>
    private static async Task ReleaseLegAsync(BackendLeg leg)
    {
        leg.Reader.Detach();
        await leg.Connection.CloseAsync();
        leg.Send.Writer.TryComplete();
    }

    /// <summary>A script answers the client directly (no valves): a heartbeat answered by the balancer.</summary>
    async ValueTask IScriptedSession.ReplyAsync(WsMessage message)
    {
        try
        {
            await _client.SendAsync(message);
            Interlocked.Increment(ref _messagesSent);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone; its reader ends the session.
        }
    }

    /// <summary>A script sends to the backend: after what the session already holds for it.</summary>
    ValueTask IScriptedSession.SendToBackendAsync(WsMessage message) => ToBackendAsync(message);

    /// <summary>What scripts see of this session; headers by lower-case name, several values joined as HTTP does.</summary>
    private ScriptSessionInfo ScriptInfo()
    {
        var headers = new List<(string, string)>(_headers.Count);
        foreach (var (name, values) in _headers)
        {
            headers.Add((name.ToLowerInvariant(), string.Join(", ", values)));
        }

        return new ScriptSessionInfo(
            Id,
            RequestUri.PathAndQuery,
            RequestUri.AbsolutePath,
            RequestUri.Query.Length > 0 ? RequestUri.Query[1..] : string.Empty,
            _client.FrontendId,
            _client.RemoteAddress,
            headers,
            () => BackendId,
            () => Reconnects);
    }

    /// <summary>After a failover: what the scripts' onFailover returns goes to the new backend before anything else.</summary>
    private async Task PrependFailoverMessagesAsync(BackendLeg next)
    {
        await InlineIo.LeaveIoThread();
        if (_scripts is not null)
        {
            next.Reader.Prepend(await _scripts.OnFailoverAsync());
        }
    }

    private void StartPair(BackendLeg leg)
    {
        var pair = new ProxySession(_client, leg.Connection);
        _pair = pair;
        _valves = ValveChain.Build(_lease.Snapshot.ValveProviders, pair, _services.Metrics, _services.Faults, _logger);
        leg.Connection.Start();
        Notify(pair, created: true);
    }

    private void NotifyTerminated(ProxySession pair) => Notify(pair, created: false);

    /// <summary>Tells the listeners of the snapshot this session started with.</summary>
    private void Notify(ProxySession pair, bool created) =>
        SessionListeners.Notify(_lease.Snapshot, pair, created, _services.Faults, _logger, Id);
}

using System.IO.Pipelines;
using System.Net.WebSockets;
using WsBalancer.Host.Upstream;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Sessions.Relay;

// The supervisor: the only place legs and pumps change.
internal sealed partial class RelaySession
{
    private async Task<SessionEndReason> SuperviseAsync()
    {
        Task? drainDeadline = null;
        using var drainTimer = new CancellationTokenSource();
        while (true)
        {
            // Read the signal before looking: a wake after this either shows below or completes this signal.
            var attention = Volatile.Read(ref _attention).Task;
            if (_lifetime.IsCancellationRequested)
            {
                return _services.Stopping.IsCancellationRequested
                    ? await CloseClientAsync(1001, "balancer shutting down", SessionEndReason.ShuttingDown, backendCode: 1000)
                    : await ClientGoneAsync();
            }

            // One move at a time: a command waits while the previous move's old leg still delivers its last replies.
            if (_drainingLeg is null && _commands is { } commands && commands.TryDequeue(out var command))
            {
                if (command.Outcome is null)
                {
                    return await CloseClientAsync(command.CloseCode, command.CloseReason, command.EndReason, backendCode: 1000, command.DropsBackend);
                }

                SessionEndReason? moveEnded;
                try
                {
                    moveEnded = await MoveAsync(command.Outcome);
                }
                finally
                {
                    command.Outcome.TrySetResult(FailoverResult.Failed("session ended")); // every way out answers; else a no-op
                }

                if (moveEnded is { } endedByMove)
                {
                    return endedByMove;
                }

                if (_drainingLeg is not null)
                {
                    drainDeadline = Task.Delay(DrainTimeout, _services.Time, drainTimer.Token);
                }

                continue;
            }

            if (_up is null && _down is null)
            {
                return _endReason ?? SessionEndReason.ClientGone; // both directions are over: nothing is left to relay
            }

            var up = _up?.Run ?? Never;
            var down = _down?.Run ?? Never;
            await Task.WhenAny(up, down, attention, drainDeadline ?? Never);
            SessionEndReason? ended = null;
            if (up.IsCompleted)
            {
                var run = _up!;
                Retire(run, up: true);
                ended = await OnClientPumpEndedAsync(await run.Run);
            }
            else if (down.IsCompleted)
            {
                var run = _down!;
                Retire(run, up: false);
                if (_drainingLeg is not null)
                {
                    drainDeadline = null;
                    ended = await OldLegDrainedAsync(await run.Run);
                }
                else
                {
                    ended = await OnBackendPumpEndedAsync(await run.Run);
                }
            }
            else if (drainDeadline is { IsCompleted: true })
            {
                drainDeadline = null;
                if (_drainingLeg is { } draining)
                {
                    SessionsLog.DrainTimedOut(_logger, Id, draining.BackendId);
                    _down?.Pump.Abandon(); // it ends as Abandoned: the old leg is then let go
                }
            }

            if (ended is { } reason)
            {
                return reason;
            }
        }
    }

    /// <summary>The client → backend pump ended; the supervisor now owns the backend leg's writer.</summary>
    private async Task<SessionEndReason?> OnClientPumpEndedAsync(RelayOutcome outcome)
    {
        switch (outcome.End)
        {
            case RelayEnd.PeerClosed:
                return await ClientClosedAsync((int)(outcome.CloseStatus ?? WebSocketCloseStatus.Empty), outcome.Reason);
            case RelayEnd.ProtocolError:
                var code = (int)outcome.CloseStatus!.Value;
                SessionsLog.ClientProtocolError(_logger, Id, outcome.Reason ?? string.Empty, code);
                return await ClientFailedAsync(code, outcome.Reason, outcome.OutboundMidFrame);
            case RelayEnd.InboundEnded or RelayEnd.InboundTruncated:
                await CloseBackendAsync(_leg, outcome.OutboundMidFrame, 1001, "client went away");
                await AwaitBackendEndAsync();
                return _endReason ?? SessionEndReason.ClientGone;
            case RelayEnd.OutboundEnded:
                return await BackendWriteFailedAsync();
            default:
                // CloseSent: the backend closed first and has its answer; the backend pump's end decides what follows.
                return null;
        }
    }

    /// <summary>
    /// A write to the backend failed: it closed or died. What it sent before (replies, its close) may still be unread:
    /// the backend pump delivers that first, until the connection's end shows (bounded by the drain timeout), and
    /// its end decides: a normal close is passed on, anything else fails over.
    /// </summary>
    private async Task<SessionEndReason?> BackendWriteFailedAsync()
    {
        if (_down is not { } down)
        {
            return await RecoverAsync("backend lost");
        }

        var outcome = await down.WaitOrAbandonAsync(DrainTimeout);
        Retire(down, up: false);
        return outcome.End == RelayEnd.Abandoned ? await RecoverAsync("backend lost") : await OnBackendPumpEndedAsync(outcome);
    }

    /// <summary>The backend → client pump ended; the supervisor now owns the client's writer.</summary>
    private async Task<SessionEndReason?> OnBackendPumpEndedAsync(RelayOutcome outcome)
    {
        switch (outcome.End)
        {
            case RelayEnd.PeerClosed:
                var code = (int)(outcome.CloseStatus ?? WebSocketCloseStatus.Empty);
                if (_leg.IsAbnormalClose(code))
                {
                    return await RecoverAsync($"backend closed with {code}", code);
                }

                return await BackendClosedAsync(code, outcome.Reason);
            case RelayEnd.ProtocolError:
                SessionsLog.BackendProtocolError(_logger, Id, _leg.BackendId, outcome.Reason ?? string.Empty);
                if (outcome.CloseStatus == WebSocketCloseStatus.MessageTooBig)
                {
                    // As on the message path: a backend message over the limit ends the session, the client is told why.
                    _endReason ??= SessionEndReason.BackendClosed;
                    await RelayFrames.TryCloseAsync(_clientPipe.Output, masked: false, 1009, "backend message too big", _settings.Frontend.WriteTimeout);
                    await CloseBackendAfterClientPumpAsync(1009, "message too big");
                    return _endReason.Value;
                }

                return outcome.OutboundMidMessage ? await BackendFailedMidMessageAsync() : await RecoverAsync("backend broke the protocol");
            case RelayEnd.InboundEnded or RelayEnd.InboundTruncated:
                return outcome.OutboundMidMessage ? await BackendFailedMidMessageAsync() : await RecoverAsync("backend lost");
            case RelayEnd.OutboundEnded:
                return await ClientGoneAsync();
            default:
                return null;
        }
    }

    /// <summary>The client closed: its close goes to the backend, and the client gets its own code back after the backend's last replies.</summary>
    private Task<SessionEndReason> ClientClosedAsync(int code, string? reason)
    {
        _endReason ??= SessionEndReason.ClientClosed;
        return CloseBackendThenClientAsync(code, reason, backendMidFrame: false, code, reason);
    }

    /// <summary>
    /// The client broke the protocol. What it sent validly before was forwarded; the backend's answers to that still
    /// reach the client before it is failed with the error's code (RFC 6455 §7.1.7).
    /// </summary>
    private Task<SessionEndReason> ClientFailedAsync(int code, string? reason, bool backendMidFrame)
    {
        _endReason ??= code == 1009 ? SessionEndReason.MessageTooBig : SessionEndReason.ClientGone;
        return CloseBackendThenClientAsync(1001, "client went away", backendMidFrame, code, reason);
    }

    /// <summary>
    /// The backend gets a close first; a backend answers in order, so its close reply comes after its answers to
    /// everything before, which the backend pump still delivers (bounded by the drain timeout). Then the client
    /// gets its close.
    /// </summary>
    private async Task<SessionEndReason> CloseBackendThenClientAsync(int backendCode, string? backendReason, bool backendMidFrame, int clientCode, string? clientReason)
    {
        await CloseBackendAsync(_leg, backendMidFrame, backendCode, backendReason);
        if (_down is { } down)
        {
            var outcome = await down.WaitOrAbandonAsync(DrainTimeout);
            Retire(down, up: false);
            if (outcome.End == RelayEnd.OutboundEnded || outcome.OutboundMidMessage)
            {
                return _endReason!.Value;
            }
        }

        await RelayFrames.TryCloseAsync(_clientPipe.Output, masked: false, clientCode, clientReason, _settings.Frontend.WriteTimeout);
        return _endReason!.Value;
    }

    /// <summary>The backend closed normally: the client gets its code, the client's answer (bounded) ends the session, and the backend gets its answer.</summary>
    private async Task<SessionEndReason> BackendClosedAsync(int code, string? reason)
    {
        await RelayFrames.TryCloseAsync(_clientPipe.Output, masked: false, code, reason, _settings.Frontend.WriteTimeout);
        await CloseBackendAfterClientPumpAsync(code, null);
        return _endReason ?? SessionEndReason.BackendClosed;
    }

    /// <summary>
    /// Waits for the client's answer to our close (bounded), then closes the backend leg. The client → backend pump
    /// reads that answer when it still runs; one stopped by the backend's close leaves it to a reading of its own.
    /// </summary>
    private async Task CloseBackendAfterClientPumpAsync(int code, string? reason)
    {
        var midFrame = _backendLeftMidFrame;
        var answered = false;
        if (_up is { } up)
        {
            var outcome = await up.WaitOrAbandonAsync(DrainTimeout);
            Retire(up, up: true);
            midFrame = outcome.OutboundMidFrame;
            answered = outcome.End != RelayEnd.Abandoned;
        }

        if (!answered)
        {
            await AwaitClientCloseAsync();
        }

        await CloseBackendAsync(_leg, midFrame, code, reason);
    }

    /// <summary>Fails the client leg with a close (RFC 6455 §7.1.7): through the backend pump's outbox while it runs.</summary>
    private async Task<SessionEndReason> FailClientAsync(int code, string? reason, SessionEndReason endReason)
    {
        _endReason ??= endReason;
        await SendClientCloseAsync(code, reason);
        return _endReason.Value;
    }

    /// <summary>An end the session chooses (admin abort, plugin close, backend deleted, shutdown): both legs closed, the client's answer awaited (bounded).</summary>
    /// <param name="dropBackend">
    /// The backend takes nothing (stalled): its leg is dropped first, which ends the flush stuck on it at once, instead
    /// of a close frame it would not take either.
    /// </param>
    private async Task<SessionEndReason> CloseClientAsync(int code, string? reason, SessionEndReason endReason, int backendCode, bool dropBackend = false)
    {
        _endReason ??= endReason;
        if (dropBackend)
        {
            _leg.Abort();
        }

        var midFrame = _backendLeftMidFrame;
        if (_up is { } up)
        {
            midFrame = (await up.AbandonAsync()).OutboundMidFrame;
            Retire(up, up: true);
        }

        if (!dropBackend)
        {
            await CloseBackendAsync(_leg, midFrame, backendCode, null);
        }

        await SendClientCloseAsync(code, reason);
        await AwaitClientCloseAsync();
        return _endReason.Value;
    }

    /// <summary>Sends the client a close: queued on the running backend pump (which ends once it is written), else written directly.</summary>
    private async Task SendClientCloseAsync(int code, string? reason)
    {
        if (_down is { } down && down.Pump.Outbox.TryEnqueueClose(WsMessageTypes.ToWireCloseStatus(code), WsMessageTypes.TrimCloseReason(reason)))
        {
            var outcome = await down.WaitOrAbandonAsync(_settings.Frontend.WriteTimeout);
            Retire(down, up: false);
            if (outcome.End is RelayEnd.CloseSent or RelayEnd.OutboundEnded)
            {
                return;
            }

            if (outcome.OutboundMidMessage)
            {
                _abortClient(); // no close can follow part of a frame
                return;
            }
        }
        else if (_down is { } running)
        {
            await running.AbandonAsync();
            Retire(running, up: false);
        }

        await RelayFrames.TryCloseAsync(_clientPipe.Output, masked: false, code, reason, _settings.Frontend.WriteTimeout);
    }

    /// <summary>After our close: reads (and drops) what the client still sends until its close arrives, within the drain timeout.</summary>
    /// <remarks>Closing the connection with unread bytes would reset it and could destroy our close frame before the client reads it.</remarks>
    private async Task AwaitClientCloseAsync()
    {
        var discard = PipeWriter.Create(Stream.Null);
        var pump = new RelayPump(_clientPipe.Input, discard, RelayPumpOptions.ClientToBackend(_settings.MaxMessageBytes), new ClientSideEvents(static () => null));
        await PumpRun.Start(pump, static () => { }, DrainTimeout, _services.Time).WaitOrAbandonAsync(DrainTimeout);
    }

    /// <summary>The client vanished (its connection was aborted): the backend leg gets a close, nothing more can be said to the client.</summary>
    private async Task<SessionEndReason> ClientGoneAsync()
    {
        var midFrame = _backendLeftMidFrame;
        if (_up is { } up)
        {
            midFrame = (await up.AbandonAsync()).OutboundMidFrame;
            Retire(up, up: true);
        }

        await CloseBackendAsync(_leg, midFrame, 1001, "client went away");
        await AwaitBackendEndAsync();
        return _endReason ?? SessionEndReason.ClientGone;
    }

    /// <summary>
    /// After our close to the backend of a session whose client is gone: reads (and drops) what the backend still sends
    /// until it ends the connection, within the drain timeout. Closing the socket with unread bytes (a backend that was
    /// streaming to the vanished client) would reset the connection, and the backend's kernel could drop our close
    /// before the backend read it: it would see a lost connection instead of 1001.
    /// </summary>
    private async Task AwaitBackendEndAsync()
    {
        if (_down is { } running)
        {
            await running.AbandonAsync(); // nothing it reads can reach the client now
            Retire(running, up: false);
        }

        await RelayFrames.AwaitEndAsync(_leg.Transport.Input, DrainTimeout);
    }

    /// <summary>
    /// Closes a backend leg whose client → backend pump has ended: a close frame, unless the leg was left inside a
    /// frame (then ended with a FIN after what it was sent); a leg that does not take the close is dropped.
    /// </summary>
    private async Task CloseBackendAsync(RelayBackendLeg leg, bool midFrame, int code, string? reason)
    {
        if (midFrame)
        {
            leg.EndMidFrame();
        }
        else if (!await RelayFrames.TryCloseAsync(leg.Transport.Output, masked: true, code, reason, DrainTimeout))
        {
            leg.Abort();
        }
    }

    /// <summary>
    /// The backend failed after part of a message reached the client: no other backend can finish that message, so
    /// the client cannot be moved (the one case a backend's failure reaches a client: it needs the backend to die
    /// between two frames of its own fragmented message, or inside invalid UTF-8).
    /// </summary>
    private async Task<SessionEndReason> BackendFailedMidMessageAsync()
    {
        SessionsLog.BackendFailedMidMessage(_logger, Id, _leg.BackendId);
        if (_up is { } up)
        {
            await up.AbandonAsync();
            Retire(up, up: true);
        }

        _leg.Abort();
        _abortClient();
        return _endReason ?? SessionEndReason.NoBackend;
    }
}

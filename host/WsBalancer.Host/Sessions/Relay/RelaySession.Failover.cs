using WsBalancer.Host.Upstream;
using WsBalancer.Host.WebSockets;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions.Relay;

// Failover on the relay: both kinds run on the supervisor, like every other change of leg.
internal sealed partial class RelaySession
{
    /// <summary>
    /// The backend leg broke: break-then-make. Both pumps stop where they are; what the client sent and the old
    /// backend's socket did not take is still on the client's pipe and goes first, whole and in order, to the new
    /// leg. Null when the session goes on; otherwise why it ended (no backend: the client was closed with 1011).
    /// </summary>
    /// <param name="closeCode">
    /// The abnormal close code the backend sent, which it gets back (as the message path answers it), so that it
    /// reads what reached its socket before our close; null when the leg was lost, which is then dropped at once.
    /// </param>
    private async Task<SessionEndReason?> RecoverAsync(string trigger, int? closeCode = null)
    {
        var old = _leg;
        SessionsLog.FailoverStarted(_logger, Id, old.BackendId, trigger);
        _services.Metrics.Failover(old.BackendId, administrative: false);
        if (closeCode is null)
        {
            old.Abort();
        }

        RelayOutcome? clientOutcome = null;
        if (_up is { } up)
        {
            clientOutcome = await up.AbandonAsync();
            Retire(up, up: true);
        }

        if (closeCode is { } code)
        {
            // Not a reset: that would make the backend's kernel drop what it holds unread. (The client's pump may
            // have ended already: the backend's close stops it at once.)
            await CloseBackendAsync(old, _backendLeftMidFrame, code, null);
            await RelayFrames.AwaitEndAsync(old.Transport.Input, DrainTimeout);
        }

        if (clientOutcome is { } outcome && await ClientEndedMeanwhileAsync(outcome) is { } ended)
        {
            return ended;
        }

        if (_down is { } down)
        {
            await down.AbandonAsync();
            Retire(down, up: false);
        }

        await ReleaseDrainingLegAsync();
        await old.DisposeAsync();
        RelayBackendLeg next;
        try
        {
            next = await _upstream.DialRelayAsync(RequestUri, ReconnectHeaders, old.BackendId, _lifetime.Token);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            return null; // the supervisor sees the lifetime's end
        }
        catch (Exception ex)
        {
            var reason = ex is RemoteSystemException ? ex.Message : $"dialer failed: {ex.GetType().Name}";
            SessionsLog.FailoverFailed(_logger, Id, old.BackendId, reason);
            _endReason ??= SessionEndReason.NoBackend;
            await SendClientCloseAsync(1011, "no backend available");
            await AwaitClientCloseAsync();
            return _endReason.Value;
        }

        SwitchTo(next);
        StartDown();
        StartUp();
        SessionsLog.RelayFailoverCompleted(_logger, Id, old.BackendId, next.BackendId);
        return null;
    }

    /// <summary>
    /// An administrative move: make-before-break. The new leg is dialed while the old one serves; the client's pump
    /// stops at a message boundary, the old backend gets a normal close, and the client's messages go to the new leg
    /// at once, while the old leg's last replies still reach the client before any of the new one's (bounded by the
    /// drain timeout). The requester hears the outcome as soon as the new leg serves.
    /// </summary>
    private async Task<SessionEndReason?> MoveAsync(TaskCompletionSource<FailoverResult> request)
    {
        var old = _leg;
        RelayBackendLeg next;
        using var dialAbort = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        try
        {
            next = await DialUnlessLegEndsAsync(old.BackendId, dialAbort);
        }
        catch (OperationCanceledException) when (dialAbort.IsCancellationRequested)
        {
            // The session ends, or one of its pumps ended meanwhile (the client closed or left, the backend closed or
            // died): that end is the supervisor's next business, not a new leg. The requester hears at once.
            request.TrySetResult(FailoverResult.Failed("session ended"));
            return null;
        }
        catch (Exception ex)
        {
            var reason = ex is RemoteSystemException ? ex.Message : $"dialer failed: {ex.GetType().Name}";
            SessionsLog.AdminFailoverFailed(_logger, Id, old.BackendId, reason);
            request.TrySetResult(FailoverResult.Failed(reason));
            return null;
        }

        _services.Metrics.Failover(old.BackendId, administrative: true);
        if (_up is { } up)
        {
            // A message in progress is finished first; one that does not finish within the drain timeout is resent whole.
            up.Pump.RequestStop();
            var outcome = await up.WaitOrAbandonAsync(DrainTimeout);
            Retire(up, up: true);
            if (outcome.End is not (RelayEnd.Stopped or RelayEnd.Abandoned or RelayEnd.OutboundEnded))
            {
                await next.DisposeAsync();
                request.TrySetResult(FailoverResult.Failed("the session is ending"));
                return await OnClientPumpEndedAsync(outcome);
            }

            await CloseBackendAsync(old, outcome.OutboundMidFrame || outcome.End == RelayEnd.OutboundEnded, 1000, null);
        }

        SwitchTo(next);
        StartUp();
        if (_down is null)
        {
            await old.DisposeAsync();
            StartDown();
        }
        else
        {
            _drainingLeg = old; // the supervisor starts the new leg's replies once the old leg's are over
        }

        request.TrySetResult(FailoverResult.Success);
        SessionsLog.RelayFailoverCompleted(_logger, Id, old.BackendId, next.BackendId);
        return null;
    }

    /// <summary>
    /// A move's dial, given up when either pump ends first: the supervisor, busy in the dial, would otherwise answer a
    /// closing client (or pass on a backend's close) only when the new backend answered or the handshake timed out.
    /// </summary>
    private async Task<RelayBackendLeg> DialUnlessLegEndsAsync(string leavingBackendId, CancellationTokenSource dialAbort)
    {
        var dial = _upstream.DialRelayAsync(RequestUri, ReconnectHeaders, leavingBackendId, dialAbort.Token);
        var up = _up?.Run ?? Never;
        var down = _down?.Run ?? Never;
        if (await Task.WhenAny(dial, up, down) != dial)
        {
            await dialAbort.CancelAsync();
            try
            {
                await (await dial).DisposeAsync(); // it completed before it saw the cancellation: not wanted now
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A dial failing now changes nothing: the move is given up either way.
            }

            dialAbort.Token.ThrowIfCancellationRequested();
        }

        return await dial;
    }

    /// <summary>The old leg of a move has delivered its last replies (or ran out of time): the new leg's replies start.</summary>
    private async Task<SessionEndReason?> OldLegDrainedAsync(RelayOutcome outcome)
    {
        await ReleaseDrainingLegAsync();
        if (outcome.End == RelayEnd.OutboundEnded)
        {
            return await ClientGoneAsync();
        }

        if (outcome.OutboundMidMessage)
        {
            return await BackendFailedMidMessageAsync();
        }

        StartDown();
        return null;
    }

    /// <summary>
    /// The client's pump ended while the backend failed: the client closed, vanished or broke the protocol at the
    /// same moment. Then there is nothing to move; the session ends as it would have.
    /// </summary>
    private async Task<SessionEndReason?> ClientEndedMeanwhileAsync(RelayOutcome outcome)
    {
        switch (outcome.End)
        {
            case RelayEnd.PeerClosed:
                _endReason ??= SessionEndReason.ClientClosed;
                await SendClientCloseAsync((int)(outcome.CloseStatus ?? System.Net.WebSockets.WebSocketCloseStatus.Empty), outcome.Reason);
                return _endReason.Value;
            case RelayEnd.InboundEnded or RelayEnd.InboundTruncated:
                return _endReason ?? SessionEndReason.ClientGone;
            case RelayEnd.ProtocolError:
                return await FailClientAsync((int)outcome.CloseStatus!.Value, outcome.Reason, SessionEndReason.ClientGone);
            default:
                return null;
        }
    }

    private async Task ReleaseDrainingLegAsync()
    {
        if (_drainingLeg is { } draining)
        {
            _drainingLeg = null;
            await draining.DisposeAsync();
        }
    }

    /// <summary>Makes <paramref name="next"/> the session's leg: listeners hear Terminated for the old pair, then Created.</summary>
    private void SwitchTo(RelayBackendLeg next)
    {
        EndPair();
        Volatile.Write(ref _leg, next);
        _backendLeftMidFrame = false;
        Interlocked.Increment(ref _reconnects);
        Volatile.Write(ref _backendEvents, new BackendSideEvents());
        StartPair();
        _services.Registry.Placed(this, next, _logger);
    }
}

using WsBalancer.Host.Hosting;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

// Failover: both kinds run on the pump, so legs are replaced in one place and in order.
internal sealed partial class BalancerSession
{
    /// <summary>
    /// The backend leg broke (abnormal close or lost transport): break-then-make. The client stays; what it sends
    /// meanwhile waits in the pending queue (an overflow closes it with 1013). False when no backend could be had;
    /// the client has then been closed with 1011.
    /// </summary>
    private async Task<bool> RecoverAsync()
    {
        var old = _leg;
        SessionsLog.FailoverStarted(_logger, Id, old.Connection.BackendId, "backend lost");
        _services.Metrics.Failover(old.Connection.BackendId, administrative: false);
        _queue.BeginHolding();
        await ReleaseLegAsync(old);
        var unsent = old.Connection.TakeUnsent();

        var next = new BackendLeg(_queue);
        next.Reader.Replay(unsent);
        try
        {
            await InlineIo.LeaveIoThread(); // a plugin dialer may block
            next.Connection = await CurrentDialer.DialUpstreamAsync(
                next.CreateDialContext(RequestUri, ReconnectHeaders, old.Connection), _lifetime.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A dialer bug is treated like an unreachable upstream: this session ends, others go on.
            var reason = ex is RemoteSystemException ? ex.Message : $"dialer failed: {ex.GetType().Name}";
            SessionsLog.FailoverFailed(_logger, Id, old.Connection.BackendId, reason);
            // The old pair stays: the session's end reports it Terminated with its end reason (ISessionDetails).
            await _client.CloseAsync(1011, "no backend available");
            return false;
        }

        Interlocked.Exchange(ref _leg, next); // a full fence: see RequestAttention
        Interlocked.Increment(ref _reconnects);
        await PrependFailoverMessagesAsync(next);
        NotifyTerminated(_pair!); // a failover: Terminated (EndReason still null), then Created
        StartPair(next);
        _queue.EndHolding();
        _services.Registry.Placed(this, next.Connection, _logger);
        SessionsLog.FailoverCompleted(_logger, Id, old.Connection.BackendId, next.Connection.BackendId, unsent.Count);
        return true;
    }

    /// <summary>
    /// An administrative move: make-before-break. The new leg is dialed while the old one still serves; then the
    /// old one stops consuming and gets a normal close, new client messages go to the new leg, and the old leg's
    /// remaining replies are delivered before any of the new leg's (bounded by the drain timeout).
    /// </summary>
    /// <remarks>The requester hears the outcome as soon as the new leg serves, not after the drain.</remarks>
    private async Task MoveAsync(TaskCompletionSource<FailoverResult> request)
    {
        var old = _leg;
        var next = new BackendLeg(_queue);
        try
        {
            await InlineIo.LeaveIoThread(); // a plugin dialer may block
            next.Connection = await CurrentDialer.DialUpstreamAsync(
                next.CreateDialContext(RequestUri, ReconnectHeaders, old.Connection), _lifetime.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var reason = ex is RemoteSystemException ? ex.Message : $"dialer failed: {ex.GetType().Name}";
            SessionsLog.AdminFailoverFailed(_logger, Id, old.Connection.BackendId, reason);
            request.TrySetResult(FailoverResult.Failed(reason));
            return;
        }

        _services.Metrics.Failover(old.Connection.BackendId, administrative: true);
        old.Reader.Detach();
        await old.Connection.CloseAsync();
        var unsent = old.Connection.TakeUnsent();
        next.Reader.Replay(unsent);
        var oldPair = _pair!;
        var oldValves = _valves;
        Interlocked.Exchange(ref _leg, next); // a full fence: see RequestAttention
        Interlocked.Increment(ref _reconnects);
        await PrependFailoverMessagesAsync(next);
        NotifyTerminated(oldPair);
        StartPair(next);
        SessionsLog.FailoverCompleted(_logger, Id, old.Connection.BackendId, next.Connection.BackendId, unsent.Count);

        request.TrySetResult(FailoverResult.Success);
        _services.Registry.Placed(this, next.Connection, _logger);
        await DrainAsync(old, oldValves);
    }

    /// <summary>Delivers the old leg's last replies until its closure, within the drain timeout.</summary>
    private async Task DrainAsync(BackendLeg old, ValveChain valves)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        deadline.CancelAfter(_settings.FailoverDrainTimeout);
        var reader = old.Send.Reader;
        try
        {
            while (await reader.WaitToReadAsync(deadline.Token))
            {
                while (reader.TryRead(out var message))
                {
                    if (ReferenceEquals(message, WakeSignal))
                    {
                        continue;
                    }

                    if (message.IsControl)
                    {
                        return;
                    }

                    if (!await ForwardToClientAsync(message, valves))
                    {
                        return; // the client is gone; the client reader ends the session
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!_lifetime.IsCancellationRequested)
        {
            SessionsLog.DrainTimedOut(_logger, Id, old.Connection.BackendId);
        }
        finally
        {
            old.Send.Writer.TryComplete();
        }
    }
}

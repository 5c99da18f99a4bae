using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// The <see cref="BackendDialContext.Receive"/> a backend leg reads: first the messages its predecessor left
/// unsent, then the session's <see cref="PendingQueue"/>. Once detached it yields nothing more, so after
/// <see cref="Detach"/> returns the host knows this leg can no longer take a message, whatever the dialer does.
/// </summary>
/// <remarks>
/// Waiting costs no allocation: the reader is its own reusable wait (one outstanding wait at a time, as a single
/// reader does). A wait completes on the thread that enqueued the message, which then runs the leg's writer
/// until it next waits: the client's message reaches the backend socket without a thread hand-off.
/// </remarks>
internal sealed class LegReader : ChannelReader<WsMessage>, IValueTaskSource<bool>
{
    private readonly PendingQueue _queue;
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _wait; // continuations run synchronously, see remarks
    private CancellationTokenRegistration _cancellation;
    private Queue<WsMessage>? _replay;
    private bool _detached;
    private int _waiting;

    public LegReader(PendingQueue queue) => _queue = queue;

    public override bool CanCount => true;

    public override int Count
    {
        get
        {
            lock (_gate)
            {
                return _detached ? 0 : (_replay?.Count ?? 0) + _queue.Count;
            }
        }
    }

    /// <summary>Queues the predecessor's unsent messages ahead of the pending queue. Call before the leg starts.</summary>
    public void Replay(IReadOnlyList<WsMessage> unsent)
    {
        if (unsent.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            _replay = new Queue<WsMessage>(unsent);
        }
    }

    /// <summary>Queues messages ahead of everything else this leg will send (a script's onFailover). Call before the leg starts.</summary>
    public void Prepend(IReadOnlyList<WsMessage> first)
    {
        if (first.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            var replay = new Queue<WsMessage>(first);
            foreach (var message in _replay ?? [])
            {
                replay.Enqueue(message);
            }

            _replay = replay;
        }
    }

    /// <summary>Ends this leg's access; a read in progress finishes first (it holds the same lock); a wait ends with false.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _detached = true;
        }

        _queue.Unregister(this);
        Wake(false);
    }

    public override bool TryRead([MaybeNullWhen(false)] out WsMessage item)
    {
        lock (_gate)
        {
            if (_detached)
            {
                item = null;
                return false;
            }

            if (_replay is { Count: > 0 })
            {
                item = _replay.Dequeue();
                return true;
            }

            return _queue.TryTake(out item);
        }
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        lock (_gate)
        {
            if (_detached)
            {
                return ValueTask.FromResult(false);
            }

            if (_replay is { Count: > 0 })
            {
                return ValueTask.FromResult(true);
            }
        }

        // Armed before registering, so a message that arrives right after registration finds the wait ready.
        _wait.Reset();
        Volatile.Write(ref _waiting, 1);
        if (_queue.HasItemsOrRegister(this) is { } ready)
        {
            Volatile.Write(ref _waiting, 0);
            return ValueTask.FromResult(ready);
        }

        if (Volatile.Read(ref _detached))
        {
            Detach(); // detached while registering: make sure the wait ends
        }

        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((LegReader)state!).Cancel(token), this);
        }

        return new ValueTask<bool>(this, _wait.Version);
    }

    /// <summary>Ends an outstanding wait with <paramref name="hasItems"/>; nothing happens when none is outstanding.</summary>
    internal void Wake(bool hasItems)
    {
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _wait.SetResult(hasItems);
        }
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _queue.Unregister(this);
            _wait.SetException(new OperationCanceledException(token));
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _cancellation.Unregister();
        _cancellation = default;
        return _wait.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);
}

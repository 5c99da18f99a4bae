using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>What happened to a message offered to the <see cref="PendingQueue"/>.</summary>
internal enum EnqueueOutcome
{
    Accepted,

    /// <summary>The queue is full while the session re-dials: the caller closes the client with 1013.</summary>
    Overflow,
}

/// <summary>
/// A session's client → backend queue, bounded by message count and bytes. In normal running a full queue makes
/// the client reader wait (TCP back-pressure reaches the client); while the session re-dials it is "holding",
/// and a full queue is an overflow instead, so a client cannot pile up memory behind a dead backend.
/// </summary>
/// <remarks>
/// One producer (the session's client reader); backend legs take through their <see cref="LegReader"/>, at most
/// one at a time in practice. One lock covers a message's whole trip through the queue, and a waiting leg is
/// woken on the producer's thread, after the lock is released: the message goes on to the backend without a
/// thread hand-off.
/// </remarks>
internal sealed class PendingQueue
{
    private readonly Lock _gate = new();
    private readonly Queue<WsMessage> _items = new();
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly BufferAccount? _account;
    private int _count;
    private long _bytes;
    private bool _holding;
    private bool _completed;
    private LegReader? _waitingReader;
    private TaskCompletionSource? _spaceFreed;
    private long _waitingForRoomSince;
    private long _takes; // client messages the backend legs took: a wait that sees it move was not stalled

    /// <param name="account">The session's share of the process's buffer budget; none: only this queue's own limits apply.</param>
    public PendingQueue(int maxMessages, long maxBytes, BufferAccount? account = null)
    {
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
        _account = account;
    }

    /// <summary>Client messages waiting (closure signals not counted).</summary>
    public int Count => Volatile.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Adds a client message, waiting for room in normal running, refusing it while holding.</summary>
    public ValueTask<EnqueueOutcome> EnqueueAsync(WsMessage message, CancellationToken cancellationToken) =>
        TryEnqueue(message, out var wait, out var stalling) is { } outcome
            ? ValueTask.FromResult(outcome)
            : EnqueueAfterWaitAsync(message, wait!, stalling, cancellationToken);

    /// <summary>
    /// The <see cref="Environment.TickCount64"/> since which the client reader waits with messages queued that the
    /// backend leg does not take (for this queue's limits or the buffer budget); 0 when it does not wait so. A wait
    /// this long means the backend leg took nothing: the stall timeout reads it.
    /// </summary>
    public long WaitingForRoomSince => Volatile.Read(ref _waitingForRoomSince);

    // The stall clock runs while the reader waits and this queue holds what its backend has not taken: for its own
    // limits, or for the buffer budget with messages queued. A budget wait with the queue empty is not this backend's
    // doing (other sessions hold the bytes), and a take by the backend restarts the clock.
    private async ValueTask<EnqueueOutcome> EnqueueAfterWaitAsync(WsMessage message, Task wait, bool stalling, CancellationToken cancellationToken)
    {
        var takes = Volatile.Read(ref _takes);
        Volatile.Write(ref _waitingForRoomSince, stalling ? Environment.TickCount64 : 0);
        try
        {
            while (true)
            {
                await wait.WaitAsync(cancellationToken);
                if (TryEnqueue(message, out wait!, out stalling) is { } outcome)
                {
                    return outcome;
                }

                var takesNow = Volatile.Read(ref _takes);
                var since = Volatile.Read(ref _waitingForRoomSince);
                Volatile.Write(ref _waitingForRoomSince, !stalling ? 0 : since == 0 || takesNow != takes ? Environment.TickCount64 : since);
                takes = takesNow;
            }
        }
        finally
        {
            Volatile.Write(ref _waitingForRoomSince, 0);
        }
    }

    /// <summary>
    /// Accepted or Overflow; null with <paramref name="wait"/> (completed when room may be there) when the message must
    /// wait, <paramref name="stalling"/> saying whether it waits on messages the backend has not taken (this queue's
    /// limits, or the buffer budget with messages queued). A leg waiting for a message is woken after the lock is released.
    /// </summary>
    private EnqueueOutcome? TryEnqueue(WsMessage message, out Task? wait, out bool stalling)
    {
        LegReader? wake;
        lock (_gate)
        {
            stalling = !Fits(message);
            if (stalling)
            {
                wait = _holding ? null : SpaceFreed();
                return _holding ? EnqueueOutcome.Overflow : (EnqueueOutcome?)null;
            }

            if (_account is { } account && WaitForBudget(account, message.Data.Length) is { } budgetWait)
            {
                // Back-pressure, even while re-dialing: the queue itself has room, so this is not an overflow.
                wait = budgetWait;
                stalling = _count > 0;
                return null;
            }

            wait = null;
            _count++;
            _bytes += message.Data.Length;
            _account?.Add(message.Data.Length);
            _items.Enqueue(message);
            wake = TakeWaiter();
        }

        wake?.Wake(true);
        return EnqueueOutcome.Accepted;
    }

    /// <summary>Adds a closure signal past the limits: it must reach the backend whatever the queue holds.</summary>
    public void EnqueueSignal(WsMessage signal)
    {
        LegReader? wake;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _items.Enqueue(signal);
            wake = TakeWaiter();
        }

        wake?.Wake(true);
    }

    /// <summary>Takes the oldest message; called by <see cref="LegReader"/> under nothing else.</summary>
    internal bool TryTake(out WsMessage message)
    {
        lock (_gate)
        {
            if (!_items.TryDequeue(out message!))
            {
                return false;
            }

            if (!message.IsControl)
            {
                _count--;
                _bytes -= message.Data.Length;
                _account?.Remove(message.Data.Length);
                _takes++;
                var waiter = _spaceFreed;
                _spaceFreed = null;
                waiter?.TrySetResult(); // continuations run asynchronously: never inside this lock
            }

            return true;
        }
    }

    /// <summary>
    /// True (synchronously) when a message is there; false when the queue is complete; otherwise registers
    /// <paramref name="reader"/> to be woken by the next message and returns null.
    /// </summary>
    internal bool? HasItemsOrRegister(LegReader reader)
    {
        lock (_gate)
        {
            if (_items.Count > 0)
            {
                return true;
            }

            if (_completed)
            {
                return false;
            }

            _waitingReader = reader;
            return null;
        }
    }

    /// <summary>Forgets <paramref name="reader"/> as the waiting one (it was detached or cancelled).</summary>
    internal void Unregister(LegReader reader)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_waitingReader, reader))
            {
                _waitingReader = null;
            }
        }
    }

    /// <summary>The session starts re-dialing: from now on a full queue is an overflow.</summary>
    public void BeginHolding()
    {
        lock (_gate)
        {
            _holding = true;
            var waiter = _spaceFreed; // a reader waiting for room re-checks and gets Overflow
            _spaceFreed = null;
            waiter?.TrySetResult();
        }
    }

    public void EndHolding()
    {
        lock (_gate)
        {
            _holding = false;
        }
    }

    /// <summary>The session is over: a waiting leg is told there is nothing more.</summary>
    public void Complete()
    {
        LegReader? wake;
        lock (_gate)
        {
            _completed = true;
            _account?.Clear(); // what is left is never sent: the session is over
            wake = TakeWaiter();
        }

        wake?.Wake(false);
    }

    // An empty queue takes any one message, so a message larger than the byte limit (but within the message-size
    // limit) is never stuck forever.
    private bool Fits(WsMessage message) =>
        _count == 0 || (_count < _maxMessages && _bytes + message.Data.Length <= _maxBytes);

    /// <summary>Null when the budget admits <paramref name="bytes"/> more; otherwise what to wait for (under the lock).</summary>
    private Task? WaitForBudget(BufferAccount account, int bytes)
    {
        if (account.Admits(bytes))
        {
            return null;
        }

        // Taken before the second look, so that a release in between is not missed.
        var room = account.Budget.Room();
        if (account.Admits(bytes))
        {
            return null;
        }

        account.Budget.CountRefusal();
        return Task.WhenAny(room, SpaceFreed()); // this session's own backend taking a message frees its share too
    }

    private Task SpaceFreed()
    {
        _spaceFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _spaceFreed.Task;
    }

    private LegReader? TakeWaiter()
    {
        var waiter = _waitingReader;
        _waitingReader = null;
        return waiter;
    }
}

using System.Threading.Channels;
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
/// <remarks>One producer (the session's client reader); consumers take through <see cref="LegReader"/>.</remarks>
internal sealed class PendingQueue
{
    private readonly Channel<WsMessage> _channel = Channel.CreateUnbounded<WsMessage>(new UnboundedChannelOptions
    {
        SingleReader = false, // an old leg and its successor each hold a reader; LegReader keeps them from overlapping
        SingleWriter = true,
    });

    private readonly Lock _gate = new();
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private int _count;
    private long _bytes;
    private bool _holding;
    private TaskCompletionSource? _spaceFreed;

    public PendingQueue(int maxMessages, long maxBytes)
    {
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
    }

    public int Count => Volatile.Read(ref _count);

    public long Bytes => Interlocked.Read(ref _bytes);

    internal ChannelReader<WsMessage> Reader => _channel.Reader;

    /// <summary>Adds a client message, waiting for room in normal running, refusing it while holding.</summary>
    public ValueTask<EnqueueOutcome> EnqueueAsync(WsMessage message, CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            if (Fits(message))
            {
                Add(message);
                return ValueTask.FromResult(EnqueueOutcome.Accepted);
            }

            if (_holding)
            {
                return ValueTask.FromResult(EnqueueOutcome.Overflow);
            }

            _spaceFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _spaceFreed.Task;
        }

        return EnqueueAfterWaitAsync(message, wait, cancellationToken);
    }

    private async ValueTask<EnqueueOutcome> EnqueueAfterWaitAsync(WsMessage message, Task wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            await wait.WaitAsync(cancellationToken);
            lock (_gate)
            {
                if (Fits(message))
                {
                    Add(message);
                    return EnqueueOutcome.Accepted;
                }

                if (_holding)
                {
                    return EnqueueOutcome.Overflow;
                }

                _spaceFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _spaceFreed.Task;
            }
        }
    }

    /// <summary>Adds a closure signal past the limits: it must reach the backend whatever the queue holds.</summary>
    public void EnqueueSignal(WsMessage signal) => _channel.Writer.TryWrite(signal);

    /// <summary>Called by <see cref="LegReader"/> for every message a backend leg takes.</summary>
    internal void Taken(WsMessage message)
    {
        if (message.IsControl)
        {
            return;
        }

        lock (_gate)
        {
            _count--;
            _bytes -= message.Data.Length;
            WakeWaiter();
        }
    }

    /// <summary>The session starts re-dialing: from now on a full queue is an overflow.</summary>
    public void BeginHolding()
    {
        lock (_gate)
        {
            _holding = true;
            WakeWaiter(); // a reader waiting for room re-checks and gets Overflow
        }
    }

    public void EndHolding()
    {
        lock (_gate)
        {
            _holding = false;
        }
    }

    public void Complete() => _channel.Writer.TryComplete();

    // An empty queue takes any one message, so a message larger than the byte limit (but within the message-size
    // limit) is never stuck forever.
    private bool Fits(WsMessage message) =>
        _count == 0 || (_count < _maxMessages && _bytes + message.Data.Length <= _maxBytes);

    private void Add(WsMessage message)
    {
        _count++;
        _bytes += message.Data.Length;
        _channel.Writer.TryWrite(message);
    }

    private void WakeWaiter()
    {
        var waiter = _spaceFreed;
        _spaceFreed = null;
        waiter?.TrySetResult();
    }
}

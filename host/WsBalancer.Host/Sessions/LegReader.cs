using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Sessions;

/// <summary>
/// The <see cref="BackendDialContext.Receive"/> a backend leg reads: first the messages its predecessor left
/// unsent, then the session's <see cref="PendingQueue"/>. Once detached it yields nothing more, so after
/// <see cref="Detach"/> returns the host knows this leg can no longer take a message, whatever the dialer does.
/// </summary>
internal sealed class LegReader : ChannelReader<WsMessage>
{
    private readonly PendingQueue _queue;
    private readonly Lock _gate = new();
    private Queue<WsMessage>? _replay;
    private bool _detached;

    public LegReader(PendingQueue queue) => _queue = queue;

    public override Task Completion => _queue.Reader.Completion;

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

    /// <summary>Ends this leg's access; a read in progress finishes first (it holds the same lock).</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _detached = true;
        }
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

            if (_queue.Reader.TryRead(out item))
            {
                _queue.Taken(item);
                return true;
            }

            return false;
        }
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
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

        return _queue.Reader.WaitToReadAsync(cancellationToken);
    }
}

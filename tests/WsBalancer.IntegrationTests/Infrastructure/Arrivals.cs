namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>Things that arrive over time (connections, requests), in order, with a bounded wait for the n-th.</summary>
public sealed class Arrivals<T>
{
    private readonly Lock _gate = new();
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<T> Snapshot()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    public void Add(T item)
    {
        lock (_gate)
        {
            _items.Add(item);
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Waits (bounded by <see cref="Timeouts"/>) for the item with this index.</summary>
    public async Task<T> WaitForAsync(int index, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_items.Count > index)
                {
                    return _items[index];
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(timeout.Token);
        }
    }
}

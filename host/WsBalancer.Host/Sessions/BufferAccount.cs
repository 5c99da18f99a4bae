namespace WsBalancer.Host.Sessions;

/// <summary>
/// One session's share of the <see cref="BufferBudget"/>: what it holds now. Not thread-safe: its owner calls it under
/// its own lock (the pending queue) or from its one pump.
/// </summary>
internal sealed class BufferAccount
{
    private readonly BufferBudget _budget;
    private long _held;

    public BufferAccount(BufferBudget budget) => _budget = budget;

    /// <summary>Bytes this session holds now.</summary>
    public long Held => _held;

    public BufferBudget Budget => _budget;

    /// <summary>Whether this session may take <paramref name="more"/> bytes now.</summary>
    public bool Admits(long more) => _budget.Admits(_held, more);

    public void Add(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        _budget.Charge(bytes, _held == 0);
        _held += bytes;
    }

    public void Remove(long bytes)
    {
        bytes = Math.Min(bytes, _held);
        if (bytes <= 0)
        {
            return;
        }

        _held -= bytes;
        _budget.Release(bytes, _held == 0);
    }

    /// <summary>Sets the holding to <paramref name="bytes"/>: one shared update when it changed, none when not.</summary>
    public void Set(long bytes)
    {
        if (bytes > _held)
        {
            Add(bytes - _held);
        }
        else if (bytes < _held)
        {
            Remove(_held - bytes);
        }
    }

    /// <summary>The session ended: whatever it held is given back.</summary>
    public void Clear() => Remove(_held);
}

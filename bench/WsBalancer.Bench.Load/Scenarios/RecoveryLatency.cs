namespace WsBalancer.Bench.Load.Scenarios;

/// <summary>
/// One failover session's send instant per sequence number, and the worst echo latency (send → echo) among the
/// messages it sent from the kill on. Unlike the longest echo silence, this does not include the sending interval,
/// so it shows the delay a failover adds even at a low message rate.
/// </summary>
/// <param name="capacity">The most messages the session may send (its sequence numbers are 0 … capacity − 1).</param>
internal sealed class RecoveryLatency(int capacity)
{
    // Preallocated: the sender stops at capacity, so the hot path never grows or locks anything.
    private readonly long[] _sentTicks = new long[capacity];

    /// <summary>The worst latency so far in stopwatch ticks (100 ns), or null when no message sent from the kill on was echoed.</summary>
    public long? WorstTicks { get; private set; }

    /// <summary>Called by the sender just before it hands message <paramref name="seq"/> to the socket.</summary>
    public void Sent(int seq, long ticks) => Volatile.Write(ref _sentTicks[seq], ticks);

    /// <summary>Called by the receiver for the first echo of message <paramref name="seq"/>.</summary>
    public void Echoed(int seq, long arrivalTicks, long killTicks)
    {
        var sentTicks = Volatile.Read(ref _sentTicks[seq]);
        if (sentTicks >= killTicks)
        {
            WorstTicks = Math.Max(WorstTicks ?? 0, arrivalTicks - sentTicks);
        }
    }
}

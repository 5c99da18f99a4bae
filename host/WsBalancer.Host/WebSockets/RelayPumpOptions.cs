namespace WsBalancer.Host.WebSockets;

/// <summary>How one direction of a relay treats its frames.</summary>
/// <param name="Inbound">What the inbound leg's frames must look like (from a client: masked; from a backend: unmasked).</param>
/// <param name="MaskOutbound">
/// True when the outbound leg is a client-role connection (towards a backend): frames are re-keyed with a fresh
/// key. False towards the client: frames go out unmasked, byte for byte as a backend sent them.
/// </param>
/// <param name="MaxMessageBytes">
/// Larger messages fail the inbound leg with 1009 (RFC 6455 §7.4.1), counted across fragments on the wire bytes
/// (compressed bytes for a permessage-deflate message), and checked on each frame's declared length before any of it is forwarded.
/// </param>
internal readonly record struct RelayPumpOptions(FrameRules Inbound, bool MaskOutbound, long MaxMessageBytes)
{
    /// <summary>
    /// Inbound bytes are handed back to the reader only once the flush that carried their whole message completed
    /// (for a stream transport: the kernel took them). A message in progress stays on the reader from its first frame,
    /// so after a failed or abandoned run another pump on the same reader sends it whole to a new outbound leg.
    /// The inbound transport must let a whole message wait unconsumed (its buffer limit above the message size).
    /// </summary>
    public bool HoldUntilFlushed { get; init; }

    /// <summary>
    /// A message is forwarded only once all its frames are in the inbound buffer, so an inbound leg that fails never
    /// leaves the outbound leg inside a message (which another source could not finish). Costs the memory of the
    /// largest message; its frames are checked before any of them goes out.
    /// </summary>
    public bool WholeMessages { get; init; }

    /// <summary>
    /// Every inbound byte counts as activity for the idle timeout (<see cref="RelayPump.LastActivity"/>), pings and pongs
    /// included, not only data frames: for the client's leg, whose pings keep its session alive. A backend's control
    /// frames are the keep-alive of its own leg (pongs answer the balancer's pings), so they do not count.
    /// </summary>
    public bool ControlFramesAreActivity { get; init; }

    /// <summary>
    /// Where the bytes this direction keeps on its inbound reader after a batch are counted (the process's buffer
    /// budget): a message held for a replay, or one not yet whole. Counted, never waited for: what a relay holds is
    /// the message in progress, which only reading the rest of it frees. One per direction: the pump sets it alone.
    /// </summary>
    public Sessions.BufferAccount? Holdings { get; init; }

    /// <summary>Client → backend: masked in, re-keyed out.</summary>
    public static RelayPumpOptions ClientToBackend(long maxMessageBytes, bool perMessageDeflate = false) =>
        new(new FrameRules(RequireMask: true, perMessageDeflate), MaskOutbound: true, maxMessageBytes);

    /// <summary>Backend → client: unmasked in, verbatim out.</summary>
    public static RelayPumpOptions BackendToClient(long maxMessageBytes, bool perMessageDeflate = false) =>
        new(new FrameRules(RequireMask: false, perMessageDeflate), MaskOutbound: false, maxMessageBytes);
}

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
    /// <summary>Client → backend: masked in, re-keyed out.</summary>
    public static RelayPumpOptions ClientToBackend(long maxMessageBytes, bool perMessageDeflate = false) =>
        new(new FrameRules(RequireMask: true, perMessageDeflate), MaskOutbound: true, maxMessageBytes);

    /// <summary>Backend → client: unmasked in, verbatim out.</summary>
    public static RelayPumpOptions BackendToClient(long maxMessageBytes, bool perMessageDeflate = false) =>
        new(new FrameRules(RequireMask: false, perMessageDeflate), MaskOutbound: false, maxMessageBytes);
}

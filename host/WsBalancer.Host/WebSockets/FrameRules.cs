namespace WsBalancer.Host.WebSockets;

/// <summary>What one leg's inbound frames must look like.</summary>
/// <param name="RequireMask">
/// True when the peer is a client: its frames must be masked. False when the peer is a server: its frames must
/// not be (RFC 6455 §5.1, both directions fail the connection with 1002).
/// </param>
/// <param name="PerMessageDeflate">True when this leg negotiated permessage-deflate, which gives RSV1 a meaning (RFC 7692 §6).</param>
internal readonly record struct FrameRules(bool RequireMask, bool PerMessageDeflate);

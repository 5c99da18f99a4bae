namespace WsBalancer.Host.WebSockets;

/// <summary>One parsed frame header (RFC 6455 §5.2).</summary>
/// <param name="Fin">Last frame of its message.</param>
/// <param name="Rsv">The three reserved bits as a number: RSV1 = 4, RSV2 = 2, RSV3 = 1.</param>
/// <param name="Opcode">The frame's opcode (never a reserved one: the parser rejects those).</param>
/// <param name="Masked">The mask bit.</param>
/// <param name="PayloadLength">Payload bytes following the header.</param>
/// <param name="MaskKey">The masking key as it lies in memory (the four wire bytes read as one native integer); 0 when unmasked.</param>
/// <param name="HeaderLength">Header bytes on the wire: 2 to 14.</param>
internal readonly record struct FrameHeader(bool Fin, byte Rsv, WsOpcode Opcode, bool Masked, long PayloadLength, uint MaskKey, int HeaderLength)
{
    public const int MaxLength = 14;

    /// <summary>Close, ping and pong (opcodes 0x8–0xF, RFC 6455 §5.5).</summary>
    public bool IsControl => (byte)Opcode >= 0x8;

    public bool Rsv1 => (Rsv & 0b100) != 0;
}

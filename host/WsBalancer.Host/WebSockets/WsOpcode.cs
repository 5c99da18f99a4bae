namespace WsBalancer.Host.WebSockets;

/// <summary>The frame opcodes RFC 6455 §5.2 defines; every other value (3–7, 0xB–0xF) is reserved.</summary>
internal enum WsOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Masking keys for frames a client-role leg sends. RFC 6455 §5.3 asks for keys from a strong source of entropy
/// that a peer cannot predict; they come from the CSPRNG, drawn 4 KiB (1 024 keys) at a time into a per-thread
/// buffer, so a frame costs no system call (the runtime's client WebSocket asks the system RNG once per frame).
/// </summary>
internal static class MaskKeySource
{
    private const int BufferBytes = 4096;

    [ThreadStatic]
    private static byte[]? t_buffer;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A fresh key, as <see cref="WebSocketMask"/> uses it (wire bytes in memory order).</summary>
    public static uint Next()
    {
        var buffer = t_buffer;
        if (buffer is null)
        {
            buffer = t_buffer = new byte[BufferBytes];
            t_next = BufferBytes;
        }

        if (t_next >= BufferBytes)
        {
            RandomNumberGenerator.Fill(buffer);
            t_next = 0;
        }

        var key = MemoryMarshal.Read<uint>(buffer.AsSpan(t_next, 4));
        t_next += 4;
        return key;
    }
}

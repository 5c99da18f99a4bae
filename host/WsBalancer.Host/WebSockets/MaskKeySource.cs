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
    private static byte[]? _threadBuffer;

    [ThreadStatic]
    private static int _threadNext;

    /// <summary>A fresh key, as <see cref="WebSocketMask"/> uses it (wire bytes in memory order).</summary>
    public static uint Next()
    {
        var buffer = _threadBuffer;
        if (buffer is null)
        {
            buffer = _threadBuffer = new byte[BufferBytes];
            _threadNext = BufferBytes;
        }

        if (_threadNext >= BufferBytes)
        {
            RandomNumberGenerator.Fill(buffer);
            _threadNext = 0;
        }

        var key = MemoryMarshal.Read<uint>(buffer.AsSpan(_threadNext, 4));
        _threadNext += 4;
        return key;
    }
}

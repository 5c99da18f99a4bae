using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// The XOR masking of RFC 6455 §5.3. A key is the four wire bytes read as one native integer, so XOR-ing memory
/// with it works whatever the byte order. Masking is its own inverse, and XOR-ing with
/// <c>oldKey ^ newKey</c> re-keys a masked payload in one pass.
/// </summary>
internal static class WebSocketMask
{
    /// <summary>Masks (or unmasks) <paramref name="data"/> in place.</summary>
    /// <param name="payloadOffset">Position of <paramref name="data"/>'s first byte within the frame's payload: it picks the key byte to start with.</param>
    public static void Apply(Span<byte> data, uint key, long payloadOffset) => Apply(data, data, key, payloadOffset);

    /// <summary>Writes <paramref name="source"/> masked with <paramref name="key"/> into <paramref name="destination"/> (one pass; the two may be the same memory).</summary>
    public static void Apply(ReadOnlySpan<byte> source, Span<byte> destination, uint key, long payloadOffset)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("Destination is shorter than the source.", nameof(destination));
        }

        if (key == 0)
        {
            source.CopyTo(destination);
            return;
        }

        var rotated = RotateToOffset(key, (int)(payloadOffset & 3));
        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var length = source.Length;
        var i = 0;
        if (Vector.IsHardwareAccelerated && length >= Vector<byte>.Count)
        {
            // Vector<byte>.Count is a multiple of 4, so every vector starts at the same key phase.
            var keys = Vector.AsVectorByte(new Vector<uint>(rotated));
            for (; i <= length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                var chunk = Unsafe.ReadUnaligned<Vector<byte>>(ref Unsafe.Add(ref src, i));
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), chunk ^ keys);
            }
        }

        for (; i <= length - 4; i += 4)
        {
            var word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i), word ^ rotated);
        }

        for (var phase = 0; i < length; i++, phase++)
        {
            Unsafe.Add(ref dst, i) = (byte)(Unsafe.Add(ref src, i) ^ KeyByte(rotated, phase));
        }
    }

    /// <summary>The key whose memory byte 0 is <paramref name="key"/>'s memory byte <paramref name="offset"/>.</summary>
    private static uint RotateToOffset(uint key, int offset) =>
        offset == 0 ? key
        : BitConverter.IsLittleEndian ? BitOperations.RotateRight(key, 8 * offset)
        : BitOperations.RotateLeft(key, 8 * offset);

    private static byte KeyByte(uint key, int index) =>
        (byte)(BitConverter.IsLittleEndian ? key >> (8 * index) : key >> (8 * (3 - index)));
}

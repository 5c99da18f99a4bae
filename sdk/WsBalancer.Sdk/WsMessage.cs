using System.Buffers.Binary;
using System.Text;

namespace WsBalancer.Sdk;

/// <summary>One whole WebSocket message, or a signal between a backend connection and the host.</summary>
/// <remarks>
/// Instances are immutable once created and may be shared between threads. <see cref="Data"/> is owned by the
/// message: whoever creates a message must not change the memory behind it afterwards.
/// </remarks>
public sealed class WsMessage
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Creates a message of the given type over <paramref name="data"/>, which the message now owns.</summary>
    /// <param name="type">The kind of message.</param>
    /// <param name="data">The payload; not copied.</param>
    public WsMessage(WsMessageType type, ReadOnlyMemory<byte> data)
    {
        Type = type;
        Data = data;
    }

    /// <summary>The kind of message.</summary>
    public WsMessageType Type { get; }

    /// <summary>The payload: message bytes for text and binary, close-frame layout for closures.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>True for anything but <see cref="WsMessageType.Text"/> and <see cref="WsMessageType.Binary"/>.</summary>
    public bool IsControl => Type is not (WsMessageType.Text or WsMessageType.Binary);

    /// <summary>Creates a text message holding the UTF-8 bytes of <paramref name="text"/>.</summary>
    /// <param name="text">The message text.</param>
    /// <returns>A new <see cref="WsMessageType.Text"/> message.</returns>
    public static WsMessage Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new WsMessage(WsMessageType.Text, Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Creates a binary message over <paramref name="data"/>, which the message now owns.</summary>
    /// <param name="data">The payload; not copied.</param>
    /// <returns>A new <see cref="WsMessageType.Binary"/> message.</returns>
    public static WsMessage Binary(ReadOnlyMemory<byte> data) => new(WsMessageType.Binary, data);

    /// <summary>Creates a <see cref="WsMessageType.RemoteConnectionNormalClosure"/> carrying a close code and reason.</summary>
    /// <param name="closeCode">An RFC 6455 close code, 1000–4999.</param>
    /// <param name="reason">The close reason; at most 123 UTF-8 bytes go on the wire.</param>
    /// <returns>A new closure message.</returns>
    public static WsMessage NormalClosure(int closeCode, string? reason)
    {
        if (closeCode is < 1000 or > 4999)
        {
            throw new ArgumentOutOfRangeException(nameof(closeCode), closeCode, "A close code is between 1000 and 4999.");
        }

        var reasonBytes = Encoding.UTF8.GetBytes(reason ?? string.Empty);
        var payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)closeCode);
        reasonBytes.CopyTo(payload, 2);
        return new WsMessage(WsMessageType.RemoteConnectionNormalClosure, payload);
    }

    /// <summary>Creates a <see cref="WsMessageType.RemoteConnectionAbnormalClosure"/> signal.</summary>
    /// <returns>A new closure message with an empty payload.</returns>
    public static WsMessage AbnormalClosure() => new(WsMessageType.RemoteConnectionAbnormalClosure, ReadOnlyMemory<byte>.Empty);

    /// <summary>Decodes <see cref="Data"/> as UTF-8.</summary>
    /// <returns>The text; invalid sequences become U+FFFD.</returns>
    public string GetText() => Encoding.UTF8.GetString(Data.Span);

    /// <summary>Reads the close code and reason of a close or closure message (close-frame layout).</summary>
    /// <returns>The code (1005, "no status", when the payload is empty) and the reason.</returns>
    public (int Code, string Reason) GetCloseStatus()
    {
        var span = Data.Span;
        if (span.Length < 2)
        {
            return (1005, string.Empty);
        }

        var code = BinaryPrimitives.ReadUInt16BigEndian(span);
        string reason;
        try
        {
            reason = StrictUtf8.GetString(span[2..]);
        }
        catch (DecoderFallbackException)
        {
            reason = string.Empty;
        }

        return (code, reason);
    }

    /// <summary>The text of a text message, otherwise its size ("12 bytes").</summary>
    /// <returns>A short human-readable description.</returns>
    public override string ToString() => Type == WsMessageType.Text ? GetText() : $"{Data.Length} bytes";
}

using System.Text.Unicode;

namespace WsBalancer.Host.WebSockets;

/// <summary>
/// Validates a text message's UTF-8 (RFC 6455 §8.1, RFC 3629) incrementally: bytes arrive in any pieces, a code
/// point may be split across pieces and across fragments, and the first byte that cannot be part of valid UTF-8
/// fails the call it arrives in (Autobahn's "fail fast"). Rejects overlong forms, surrogates (U+D800–U+DFFF) and
/// anything above U+10FFFF by narrowing the range allowed for the byte after a lead byte (RFC 3629 §4).
/// </summary>
internal struct Utf8Validator
{
    // Below this many bytes left, the scalar loop is as cheap as setting up the vectorized check.
    private const int VectorizedMinimum = 16;

    private byte _pending; // continuation bytes still expected for the current code point
    private byte _low;     // allowed range for the next continuation byte
    private byte _high;

    /// <summary>True when no code point is left unfinished: a message may end here.</summary>
    public readonly bool IsComplete => _pending == 0;

    /// <summary>Forgets any partial code point (a new message starts).</summary>
    public void Reset() => this = default;

    /// <summary>Feeds the next bytes of the message.</summary>
    /// <returns>False when these bytes make the message invalid; the validator must then be <see cref="Reset"/> before reuse.</returns>
    public bool TryAdvance(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_pending != 0)
            {
                var next = bytes[i++];
                if (next < _low || next > _high)
                {
                    return false;
                }

                _low = 0x80;
                _high = 0xBF;
                _pending--;
                continue;
            }

            var rest = bytes[i..];
            var nonAscii = rest.IndexOfAnyExceptInRange((byte)0x00, (byte)0x7F);
            if (nonAscii < 0)
            {
                return true;
            }

            i += nonAscii;
            rest = rest[nonAscii..];
            if (rest.Length >= VectorizedMinimum)
            {
                // Whole code points go to the runtime's vectorized validator; only a code point cut by the end of
                // this piece is left to the state machine.
                var whole = LengthOfWholeCodePoints(rest);
                if (!Utf8.IsValid(rest[..whole]))
                {
                    return false;
                }

                i += whole;
                if (i == bytes.Length)
                {
                    return true;
                }
            }

            if (!TryStartCodePoint(bytes[i++]))
            {
                return false;
            }
        }

        return true;
    }

    private bool TryStartCodePoint(byte lead)
    {
        // RFC 3629 §4 table: the second byte's range is what excludes overlongs, surrogates and > U+10FFFF.
        (_pending, _low, _high) = lead switch
        {
            >= 0xC2 and <= 0xDF => ((byte)1, (byte)0x80, (byte)0xBF),
            0xE0 => ((byte)2, (byte)0xA0, (byte)0xBF),
            (>= 0xE1 and <= 0xEC) or 0xEE or 0xEF => ((byte)2, (byte)0x80, (byte)0xBF),
            0xED => ((byte)2, (byte)0x80, (byte)0x9F),
            0xF0 => ((byte)3, (byte)0x90, (byte)0xBF),
            >= 0xF1 and <= 0xF3 => ((byte)3, (byte)0x80, (byte)0xBF),
            0xF4 => ((byte)3, (byte)0x80, (byte)0x8F),
            _ => ((byte)0, (byte)0, (byte)0),
        };
        return _pending != 0; // 0x80-0xC1 and 0xF5-0xFF never start a code point (ASCII was handled by the caller)
    }

    /// <summary>The length of <paramref name="bytes"/> without a trailing code point whose lead byte is there but not all of its continuation bytes.</summary>
    private static int LengthOfWholeCodePoints(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.Length;
        for (var back = 1; back <= 3 && back <= end; back++)
        {
            var b = bytes[end - back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: look further back for its lead
            }

            var sequenceLength = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return sequenceLength > back ? end - back : end;
        }

        return end; // the last three bytes are continuations: complete or invalid, the runtime decides
    }
}

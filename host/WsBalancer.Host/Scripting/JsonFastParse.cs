using System.Buffers;
using System.Text;
using System.Text.Json;
using Jint;
using Jint.Native;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// <c>JSON.parse(text)</c> without a reviver, read by <see cref="Utf8JsonReader"/> and built straight into engine
/// values. Anything it is not sure to read exactly as the specification does is left to Jint's own parser, which then
/// also raises the SyntaxError a script expects: invalid JSON, a lone surrogate (in the text or escaped), a number
/// outside double range, nesting deeper than Jint allows.
/// </summary>
/// <remarks>
/// Jint 4.18 makes a new parser for every call, with two 256-entry string tables: measured 13 KB and 4.3 µs to parse a
/// 45-byte object, most of a JSON-rewriting script's cost per message. This reads the same object with one small
/// rented buffer. Objects get their members as own data properties in text order (a repeated name keeps its first
/// position and its last value, and <c>__proto__</c> is an ordinary name), exactly as JSON.parse's internalization
/// does without a reviver.
/// </remarks>
internal static class JsonFastParse
{
    // Jint's default JsonOptions.MaxParseDepth; deeper text is left to Jint, which refuses it with its own message.
    private const int MaxDepth = 64;

    // How many values are read between two checks of the call's limits (time, memory, cancellation).
    private const int CheckInterval = 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses <paramref name="text"/>; false (and nothing observable done) when Jint's parser must decide.</summary>
    /// <exception cref="Exception">A limit of the call was reached meanwhile (the engine's constraint exceptions).</exception>
    public static bool TryParse(Engine engine, string text, out JsValue value)
    {
        value = JsValue.Undefined;
        byte[] utf8;
        try
        {
            utf8 = ArrayPool<byte>.Shared.Rent(StrictUtf8.GetMaxByteCount(text.Length));
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // too long to transcode at once: Jint's parser reads it (and the limits bound it)
        }

        try
        {
            int length;
            try
            {
                length = StrictUtf8.GetBytes(text, utf8);
            }
            catch (EncoderFallbackException)
            {
                return false; // a lone surrogate: JSON.parse keeps it, UTF-8 cannot carry it
            }

            var reader = new Utf8JsonReader(utf8.AsSpan(0, length), new JsonReaderOptions { MaxDepth = MaxDepth });
            var builder = new Builder(engine);
            try
            {
                if (!reader.Read() || !builder.TryRead(ref reader, out value) || reader.Read())
                {
                    return false; // empty text, or a second value after the first
                }

                return true;
            }
            catch (JsonException)
            {
                value = JsValue.Undefined;
                return false;
            }
            catch (InvalidOperationException)
            {
                value = JsValue.Undefined;
                return false; // GetString of an escaped lone surrogate
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    private sealed class Builder(Engine engine)
    {
        private int _values;

        public bool TryRead(ref Utf8JsonReader reader, out JsValue value)
        {
            if (++_values % CheckInterval == 0)
            {
                engine.Constraints.Check();
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    return TryReadObject(ref reader, out value);
                case JsonTokenType.StartArray:
                    return TryReadArray(ref reader, out value);
                case JsonTokenType.String:
                    value = new JsString(reader.GetString()!);
                    return true;
                case JsonTokenType.Number:
                    // Rounded to nearest like the specification's StringToNumber; past double range the reader says
                    // false (or gives infinity), and Jint's parser decides.
                    if (reader.TryGetDouble(out var number) && double.IsFinite(number))
                    {
                        value = JsNumber.Create(number);
                        return true;
                    }

                    value = JsValue.Undefined;
                    return false;
                case JsonTokenType.True:
                    value = JsBoolean.True;
                    return true;
                case JsonTokenType.False:
                    value = JsBoolean.False;
                    return true;
                case JsonTokenType.Null:
                    value = JsValue.Null;
                    return true;
                default:
                    value = JsValue.Undefined;
                    return false;
            }
        }

        private bool TryReadObject(ref Utf8JsonReader reader, out JsValue value)
        {
            var obj = new JsObject(engine);
            value = obj;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!reader.Read() || !TryRead(ref reader, out var member))
                {
                    return false;
                }

                // CreateDataProperty: an own property even for "__proto__"; a repeated name is redefined in place.
                obj.CreateDataProperty(name, member);
            }

            return reader.TokenType == JsonTokenType.EndObject;
        }

        private bool TryReadArray(ref Utf8JsonReader reader, out JsValue value)
        {
            var items = new List<JsValue>();
            value = JsValue.Undefined;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (!TryRead(ref reader, out var item))
                {
                    return false;
                }

                items.Add(item);
            }

            if (reader.TokenType != JsonTokenType.EndArray)
            {
                return false;
            }

            value = new JsArray(engine, items.ToArray());
            return true;
        }
    }
}

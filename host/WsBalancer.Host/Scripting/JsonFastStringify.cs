using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// <c>JSON.stringify(value)</c> without a replacer or indentation, for plain data (ordinary objects and arrays with
/// data properties only, strings, numbers, booleans, null), written straight into one builder. Anything else is left
/// to the guarded serializer, which runs script code (getters, <c>toJSON</c>) and throws what a script expects.
/// </summary>
/// <remarks>
/// The guard makes Jint's serializer call back into the host for every value so that it can count the output; for a
/// small message that callback path cost about 2.5 µs, half of a JSON-rewriting script's time. Plain data cannot run
/// script code while it is written, so it is serialized here, counting the output as it grows.
/// </remarks>
internal static class JsonFastStringify
{
    // Deeper than this is left to the serializer, which also tells a cycle from a deep tree.
    private const int MaxDepth = 64;

    // A builder kept per thread for the next call, up to this size: a message-sized text costs no growth.
    private const int KeptCapacity = 16 * 1024;

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>
    /// The JSON text of <paramref name="value"/>, or null when the serializer must decide. <paramref name="maxChars"/>
    /// bounds the output; past it <paramref name="tooLong"/> is thrown with the characters written so far.
    /// </summary>
    public static string? TryStringify(Engine engine, JsValue value, double maxChars, Func<double, Exception> tooLong)
    {
        var objectPrototype = engine.Intrinsics.Object.PrototypeObject;
        var arrayPrototype = engine.Intrinsics.Array.PrototypeObject;
        // A toJSON anywhere on the two prototypes would apply to every object: then this is not plain data.
        if (objectPrototype.HasProperty("toJSON") || arrayPrototype.HasProperty("toJSON"))
        {
            return null;
        }

        // No script code runs while writing, so nothing can re-enter and find the builder in use.
        var builder = t_builder ?? new StringBuilder(256);
        t_builder = null;
        try
        {
            var writer = new Writer(builder, objectPrototype, arrayPrototype, maxChars, tooLong);
            return writer.Value(value, 0) == Written.Value ? builder.ToString() : null;
        }
        finally
        {
            if (builder.Capacity <= KeptCapacity)
            {
                t_builder = builder.Clear();
            }
        }
    }

    private enum Written { Value, Nothing, NotPlain }

    private sealed class Writer(StringBuilder text, ObjectInstance objectPrototype, ObjectInstance arrayPrototype, double maxChars, Func<double, Exception> tooLong)
    {
        private readonly StringBuilder _text = text;

        // Value: something was written; Nothing: undefined, a function or a symbol (left out of objects, null in arrays).
        public Written Value(JsValue value, int depth)
        {
            switch (value)
            {
                case JsString:
                    Quote(value.AsString());
                    break;
                case JsNumber:
                    var number = value.AsNumber();
                    _text.Append(double.IsFinite(number) ? TypeConverter.ToString(value) : "null");
                    break;
                case JsBoolean:
                    _text.Append(value.AsBoolean() ? "true" : "false");
                    break;
                case JsArray array when ReferenceEquals(array.Prototype, arrayPrototype):
                    if (depth >= MaxDepth || !Array(array, depth))
                    {
                        return Written.NotPlain;
                    }

                    break;
                case JsObject obj when ReferenceEquals(obj.Prototype, objectPrototype):
                    if (depth >= MaxDepth || !Object(obj, depth))
                    {
                        return Written.NotPlain;
                    }

                    break;
                case JsSymbol:
                    return Written.Nothing;
                case ObjectInstance callable when callable.IsCallable():
                    return Written.Nothing;
                case ObjectInstance:
                    return Written.NotPlain;
                default:
                    if (value.IsNull())
                    {
                        _text.Append("null");
                        break;
                    }

                    return Written.Nothing; // undefined
            }

            Count();
            return Written.Value;
        }

        private bool Array(JsArray array, int depth)
        {
            _text.Append('[');
            var length = array.Length;
            for (uint i = 0; i < length; i++)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }

                var element = array.GetOwnProperty(i);
                if (element.IsAccessorDescriptor())
                {
                    return false;
                }

                switch (Value(element == PropertyDescriptor.Undefined ? JsValue.Undefined : element.Value, depth + 1))
                {
                    case Written.NotPlain:
                        return false;
                    case Written.Nothing:
                        _text.Append("null");
                        break;
                }
            }

            _text.Append(']');
            return true;
        }

        private bool Object(JsObject obj, int depth)
        {
            if (obj.HasOwnProperty("toJSON"))
            {
                return false;
            }

            _text.Append('{');
            var first = true;
            foreach (var key in obj.GetOwnPropertyKeys())
            {
                if (!key.IsString())
                {
                    continue; // symbol keys are never serialized
                }

                var property = obj.GetOwnProperty(key);
                if (property.IsAccessorDescriptor())
                {
                    return false;
                }

                if (!property.Enumerable)
                {
                    continue;
                }

                var mark = _text.Length;
                if (!first)
                {
                    _text.Append(',');
                }

                Quote(key.AsString());
                _text.Append(':');
                switch (Value(property.Value, depth + 1))
                {
                    case Written.NotPlain:
                        return false;
                    case Written.Nothing:
                        _text.Length = mark; // a member whose value is not serialized is left out with its name
                        break;
                    default:
                        first = false;
                        break;
                }
            }

            _text.Append('}');
            return true;
        }

        private void Count()
        {
            if (_text.Length > maxChars)
            {
                throw tooLong(_text.Length);
            }
        }

        // QuoteJSONString: the short escapes, \u00XX for other controls and for lone surrogates, the rest as it is.
        private void Quote(string text)
        {
            _text.Append('"');
            var run = 0;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                string? escape = c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\b' => "\\b",
                    '\f' => "\\f",
                    '\n' => "\\n",
                    '\r' => "\\r",
                    '\t' => "\\t",
                    _ => null,
                };
                var lone = char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(text[i - 1]));
                if (escape is null && c >= ' ' && !lone)
                {
                    continue;
                }

                _text.Append(text, run, i - run);
                run = i + 1;
                if (escape is not null)
                {
                    _text.Append(escape);
                }
                else
                {
                    _text.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            _text.Append(text, run, text.Length - run).Append('"');
            Count();
        }
    }
}

using System.Globalization;
using System.Text;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Object;
using Jint.Native.RegExp;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// The top-level bindings a script declares (functions, classes, <c>var</c>, <c>let</c>, <c>const</c>), and a way to
/// read them all in one call: what an engine would lose if it were let go and made again from the file.
/// </summary>
internal sealed class ScriptGlobals
{
    private ScriptGlobals(string[] names, Prepared<Script>? probe, bool releasable)
    {
        Names = names;
        Probe = probe;
        Releasable = releasable;
    }

    public IReadOnlyList<string> Names { get; }

    /// <summary><c>[name, …]</c>, parsed once: evaluating it in an engine gives every binding's value now.</summary>
    public Prepared<Script>? Probe { get; }

    /// <summary>False when a binding cannot be read by name (a destructuring declaration): the engine is never released.</summary>
    public bool Releasable { get; }

    public static ScriptGlobals Of(Prepared<Script> program)
    {
        var names = new List<string>();
        var releasable = true;
        foreach (var statement in program.Program!.Body)
        {
            switch (statement)
            {
                case FunctionDeclaration { Id.Name: var function }:
                    names.Add(function);
                    break;
                case ClassDeclaration { Id.Name: var type }:
                    names.Add(type);
                    break;
                case VariableDeclaration declaration:
                    foreach (var declarator in declaration.Declarations)
                    {
                        if (declarator.Id is Identifier { Name: var variable })
                        {
                            names.Add(variable);
                        }
                        else
                        {
                            releasable = false;
                        }
                    }

                    break;
            }
        }

        var probe = names.Count == 0 ? (Prepared<Script>?)null : Engine.PrepareScript("[" + string.Join(",", names) + "]", source: "globals", strict: true);
        return new ScriptGlobals([.. names], probe, releasable);
    }
}

/// <summary>
/// What a script's top-level bindings hold, precisely enough to tell whether any changed since: primitives by value,
/// plain objects and arrays by content (and identity), functions and regular expressions by identity. Null when a
/// binding holds something else (a Map, a class instance, an accessor), which cannot be told unchanged.
/// </summary>
internal sealed class GlobalsFingerprint
{
    private const int MaxNodes = 10_000;
    private const int MaxDepth = 32;

    private readonly string _shape;
    private readonly object[] _references;

    private GlobalsFingerprint(string shape, object[] references)
    {
        _shape = shape;
        _references = references;
    }

    public static GlobalsFingerprint? Take(Engine engine, ScriptGlobals globals)
    {
        if (!globals.Releasable)
        {
            return null;
        }

        if (globals.Probe is not { } probe)
        {
            return new GlobalsFingerprint(string.Empty, []);
        }

        // The probe's array is new at every evaluation: only what it holds is compared.
        var values = (JsArray) engine.Evaluate(probe);
        var walk = new Walk(engine);
        for (uint i = 0; i < values.Length; i++)
        {
            if (!walk.Value(values.Get(i), 0))
            {
                return null;
            }
        }

        return new GlobalsFingerprint(walk.Shape.ToString(), [.. walk.References]);
    }

    public bool SameAs(GlobalsFingerprint other)
    {
        if (_shape != other._shape || _references.Length != other._references.Length)
        {
            return false;
        }

        for (var i = 0; i < _references.Length; i++)
        {
            if (!ReferenceEquals(_references[i], other._references[i]))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Walk(Engine engine)
    {
        private int _nodes;

        public StringBuilder Shape { get; } = new();

        public List<object> References { get; } = [];

        public bool Value(JsValue value, int depth)
        {
            if (++_nodes > MaxNodes || depth > MaxDepth)
            {
                return false;
            }

            switch (value)
            {
                case JsString:
                    var text = value.AsString();
                    Shape.Append('s').Append(text.Length).Append(':').Append(text);
                    return true;
                case JsNumber:
                    // The bits, so -0 and 0 (and NaN payloads) are told apart.
                    Shape.Append('n').Append(BitConverter.DoubleToInt64Bits(value.AsNumber()).ToString(CultureInfo.InvariantCulture)).Append(';');
                    return true;
                case JsBoolean:
                    Shape.Append(value.AsBoolean() ? 't' : 'f');
                    return true;
                case Function or JsRegExp:
                    Shape.Append('r');
                    References.Add(value);
                    return true;
                case JsArray array when ReferenceEquals(array.Prototype, engine.Intrinsics.Array.PrototypeObject):
                    Shape.Append('[');
                    References.Add(array);
                    for (uint i = 0; i < array.Length; i++)
                    {
                        if (!Value(array.Get(i), depth + 1))
                        {
                            return false;
                        }
                    }

                    Shape.Append(']');
                    return true;
                case JsObject obj when ReferenceEquals(obj.Prototype, engine.Intrinsics.Object.PrototypeObject):
                    Shape.Append('{');
                    References.Add(obj);
                    foreach (var key in obj.GetOwnPropertyKeys())
                    {
                        var property = obj.GetOwnProperty(key);
                        if (!key.IsString() || property.IsAccessorDescriptor())
                        {
                            return false;
                        }

                        var name = key.AsString();
                        Shape.Append(name.Length).Append(':').Append(name).Append(property.Writable ? 'w' : '-');
                        if (!Value(property.Value, depth + 1))
                        {
                            return false;
                        }
                    }

                    Shape.Append(obj.Extensible ? '}' : ')');
                    return true;
                case ObjectInstance:
                    return false;
                default:
                    Shape.Append(value.IsNull() ? 'N' : 'U');
                    return true;
            }
        }
    }
}

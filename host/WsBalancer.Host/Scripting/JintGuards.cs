using System.Runtime.CompilerServices;
using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Error;
using Jint.Native.Function;
using Jint.Native.Object;
using Jint.Native.Symbol;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// Closes the allocation and stall holes that Jint's own limits leave open, before any user code runs in an engine.
/// </summary>
/// <remarks>
/// <para>
/// Jint checks its limits between statements, and inside built-ins only every 10 000 iterations. So one built-in call
/// can allocate or compute far past the limits before anything notices. Measured on 4.18 under the 8 MiB / 50 ms
/// defaults: <c>new ArrayBuffer(2e8)</c> and <c>'x'.repeat(1e8)</c> went through; a 200-element <c>join</c> of 1 MB
/// strings took 1.4 GB and 4.8 s, <c>JSON.stringify</c> of a shared-subtree array ran out of memory after 1.1 s,
/// <c>new Float64Array({length: 5e7})</c> took 5.3 GB and 6.4 s, <c>Object.fromEntries</c> over one 1 MB key repeated
/// 65 536 times ran 17 s, and <c>map(Function.prototype.call, String.prototype.toUpperCase)</c> took 1.9 GB in 12 s.
/// </para>
/// <para>
/// Each guarded built-in is replaced by a proxy over the original (the original stays in a C# closure, unreachable
/// from script). Its trap checks the constraints, converts the arguments once the way the specification does, works
/// out what the call would allocate and throws a <c>RangeError</c> the script can catch if that would take the call
/// past its memory limit (counting what the call allocated so far); otherwise it calls the original with the converted
/// arguments, so the result is the original's. Built-ins whose output grows element by element (<c>join</c>,
/// <c>toLocaleString</c>, <c>flat</c>, <c>String.raw</c>, <c>JSON.stringify</c>, regular expression replacement) are
/// accounted per element; loops whose elements may each cost a long string's length (<c>indexOf</c>,
/// <c>Object.fromEntries</c>, <c>new Set</c>, <c>new Map</c>, the set methods) check as those lengths add up; and a
/// built-in handed a built-in as its callback calls it through a wrapper that checks before each call. A script may
/// still overwrite a guarded property: it then calls its own code, which every limit bounds.
/// </para>
/// <para>
/// Built-ins that cannot be bounded, or that escape the one-call model, are shadowed by an <c>undefined</c> global:
/// <c>SharedArrayBuffer</c>, <c>Atomics</c>, <c>WeakRef</c>, <c>FinalizationRegistry</c>, <c>ShadowRealm</c> (a fresh
/// realm with unguarded built-ins), <c>BigInt</c> and everything producing a BigInt (see
/// <see cref="ScriptEngineFactory.PrepareScript"/>), <c>Temporal</c>, <c>Intl</c> (<c>Intl.ListFormat</c> joins an
/// iterable natively: 200 MB in 0.8 s) and <c>RegExp.prototype.compile</c>. Guards of built-ins a script reaches only
/// through a global name (typed arrays, <c>ArrayBuffer</c>, <c>DataView</c>, <c>RegExp</c>, <c>JSON</c>, <c>Set</c>,
/// <c>Map</c>, <c>Reflect</c>) are built on the first read of that name, so an idle engine does not pay for them.
/// </para>
/// <para>
/// What no guard can reach, because it is syntax rather than a built-in or because Jint checks memory only between
/// statements: one statement may make many unguarded copies before the next check (a template literal with 20
/// substitutions of a 1 MB string allocated 160 MB); <c>for-in</c> and object spread over a long string enumerate its
/// indices in one step (a 4M-character string: 312 MB and 2.3 s, 844 MB and 6.8 s); and nothing bounds what a script
/// keeps in its globals from one call to the next.
/// </para>
/// </remarks>
internal static class JintGuards
{
    /// <summary>The message of the <c>RangeError</c> a guard (or Jint's stack guard) throws when the native stack runs low.</summary>
    internal const string StackExhaustedMessage = "Maximum call stack size exceeded";

    /// <summary>Every guard refusal says this, which is how <see cref="ScriptFault.Classify"/> tells it from a script's own RangeError.</summary>
    internal const string LimitPhrase = " exceeds the script ";

    /// <summary>Said by the refusal of a regular expression pattern over <see cref="MaxPatternLength"/>.</summary>
    internal const string PatternLimitPhrase = " exceeds the script pattern limit ";

    /// <summary>
    /// Longest regular expression pattern a script may compile, in UTF-16 code units. .NET compiles a pattern in one
    /// call that no limit interrupts; measured with the <c>u</c> flag, each <c>\p{L}</c> costs about 28 µs, so 2048
    /// characters stay near one 50 ms call.
    /// </summary>
    internal const int MaxPatternLength = 2048;

    // One element of a dense array costs at least a reference (8 bytes), but turning elements into properties (object
    // spread, Object.assign, for-in) costs ~180 bytes and up to ~1 us each inside one built-in call that Jint checks only
    // every 10 000 steps. At limit/128 elements that worst case measured 12 MB and 25-75 ms for a 65 536-element array
    // spread into an object, under the 8 MiB / 50 ms defaults.
    private const long BytesPerElement = 128;
    private const long MinElements = 1024;

    // How often a per-element loop re-checks the engine's constraints; each check also counts as one statement.
    private const int StepInterval = 1024;

    private const double MaxSafeInteger = 9007199254740991;

    // Hashing or comparing a string costs its length. A built-in loop over an array that holds the same 1 MB string
    // 65 536 times (Object.fromEntries, new Set, indexOf) ran 10-17 s between two of Jint's checks, so guarded loops also
    // check after every this many characters of keys handled.
    private const long StepChars = 1 << 20;

    // A search for a string shorter than this compares too little per element for the check interval to matter.
    private const int LongSearch = 1024;

    private static readonly string[] ArrayCallbackMethods =
        ["every", "filter", "find", "findIndex", "findLast", "findLastIndex", "flatMap", "forEach", "map", "reduce", "reduceRight", "some", "sort", "toSorted"];

    private static readonly string[] TypedArrayCallbackMethods =
        ["every", "filter", "find", "findIndex", "findLast", "findLastIndex", "forEach", "map", "reduce", "reduceRight", "some", "sort", "toSorted"];

    private static readonly string[] IteratorCallbackMethods = ["map", "filter", "flatMap", "reduce", "forEach", "some", "every", "find"];

    private static readonly string[] SetMethods =
        ["union", "intersection", "difference", "symmetricDifference", "isSubsetOf", "isSupersetOf", "isDisjointFrom"];

    /// <summary>
    /// Largest array (in elements) a script may build, Jint's <c>MaxArraySize</c>: <see cref="ScriptLimits.MaxMemoryBytes"/>
    /// / 128, 65 536 for the 8 MiB default. Typed arrays get half of it.
    /// </summary>
    public static uint MaxElements(ScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return (uint) Math.Clamp(limits.MaxMemoryBytes / BytesPerElement, MinElements, int.MaxValue);
    }

    /// <summary>Installs every guard into a fresh engine made by <see cref="ScriptEngineFactory.Create"/>.</summary>
    public static void Install(Engine engine, ScriptLimits limits, ScriptCallBudget budget)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(budget);
        new Guards(engine, budget, MaxElements(limits)).Install();
    }

    /// <summary>The per-engine state of the guards; every trap runs on the engine's thread, inside a call.</summary>
    private sealed class Guards(Engine engine, ScriptCallBudget budget, uint maxElements)
    {
        private static readonly Dictionary<string, int> TypedArrays = new(StringComparer.Ordinal)
        {
            ["Int8Array"] = 1, ["Uint8Array"] = 1, ["Uint8ClampedArray"] = 1, ["Int16Array"] = 2, ["Uint16Array"] = 2,
            ["Float16Array"] = 2, ["Int32Array"] = 4, ["Uint32Array"] = 4, ["Float32Array"] = 4, ["Float64Array"] = 8,
        };

        private static readonly string[] RemovedGlobals =
        [
            "SharedArrayBuffer", "Atomics", "WeakRef", "FinalizationRegistry", "ShadowRealm",
            "BigInt", "BigInt64Array", "BigUint64Array", "Temporal", "Intl",
        ];

        // Jint's wrapper classes are internal; the type lets a guard see a String object's length the way the
        // specification's [[StringData]] check does. Should a Jint update rename it, the hostile-script theory's
        // String-object cases fail.
        private static readonly Type? StringObjectType = typeof(JsValue).Assembly.GetType("Jint.Native.String.StringInstance");
        private static readonly Type? NumberObjectType = typeof(JsValue).Assembly.GetType("Jint.Native.Number.NumberInstance");

        private readonly long _maxBytes = budget.MaxMemoryBytes;

        // A typed array's index keys are made anew at every enumeration, which measured about twice the cost of a plain
        // array's (a 65 536-element Uint8Array spread into an object: 19 MB and up to 350 ms on a loaded machine), so
        // typed arrays get half the element limit.
        private readonly uint _maxTypedElements = Math.Max(maxElements / 2, 1);
        private readonly HashSet<ObjectInstance> _joining = new(ReferenceEqualityComparer.Instance);
        private ErrorConstructor _rangeError = null!;
        private ObjectInstance? _regExp;
        private ObjectInstance? _arrayBuffer;
        private ObjectInstance? _regExpPrototype;
        private JsValue _regExpExec = JsValue.Undefined;
        private ObjectInstance? _bufferPrototype;
        private JsValue _isRawJson = JsValue.Undefined;
        public Engine Engine => engine;

        public long MaxBytes => _maxBytes;

        public void Install()
        {
            var global = engine.Global;

            // Captured before any user code runs; a script replacing globalThis.RangeError does not change what we throw.
            _rangeError = (ErrorConstructor) global.Get("RangeError");

            // Shadowed rather than deleted: deleting a global makes Jint materialize the whole global object, 7 KiB per
            // engine. typeof reports "undefined", and any use is a TypeError.
            foreach (var name in RemovedGlobals)
            {
                global.FastSetProperty(name, new PropertyDescriptor(JsValue.Undefined, PropertyFlag.OnlyConfigurable));
            }

            var stringConstructor = (ObjectInstance) global.Get("String");
            var stringPrototype = (ObjectInstance) stringConstructor.Get("prototype");
            Wrap(stringPrototype, "repeat", Guard.Repeat);
            Wrap(stringPrototype, "padStart", Guard.Pad);
            Wrap(stringPrototype, "padEnd", Guard.Pad);
            Wrap(stringPrototype, "concat", Guard.Concat);
            Wrap(stringPrototype, "replace", Guard.Replace);
            Wrap(stringPrototype, "replaceAll", Guard.ReplaceAll);
            Wrap(stringPrototype, "match", Guard.Match);
            Wrap(stringPrototype, "matchAll", Guard.MatchAll);
            Wrap(stringPrototype, "search", Guard.Search);
            Wrap(stringConstructor, "raw", Guard.Raw);

            // String methods that copy their whole string: guarded so that many copies in one statement, or one per
            // element of a built-in loop (map(Function.prototype.call, String.prototype.toUpperCase): 1.9 GB in 12 s),
            // are refused at the copy that would pass the limit. slice, substring, substr and trim need no guard: Jint
            // 4.18 returns a view of the original string for them.
            foreach (var name in (string[]) ["toUpperCase", "toLowerCase", "toLocaleUpperCase", "toLocaleLowerCase", "toWellFormed", "normalize"])
            {
                Wrap(stringPrototype, name, Guard.StringCopy);
            }

            Wrap(stringPrototype, "split", Guard.Split);

            var arrayConstructor = engine.Intrinsics.Array;
            var arrayPrototype = arrayConstructor.PrototypeObject;
            Wrap(arrayPrototype, "join", Guard.Join);
            Wrap(arrayPrototype, "toLocaleString", Guard.ToLocaleString);
            Wrap(arrayPrototype, "flat", Guard.Flat);
            Wrap(arrayPrototype, "indexOf", Guard.ArraySearch, (int) Search.IndexOf);
            Wrap(arrayPrototype, "lastIndexOf", Guard.ArraySearch, (int) Search.LastIndexOf);
            Wrap(arrayPrototype, "includes", Guard.ArraySearch, (int) Search.Includes);
            WrapCallbacks(arrayPrototype, ArrayCallbackMethods, index: 0);
            Wrap(arrayConstructor, "from", Guard.Callback, 1);

            var objectConstructor = engine.Intrinsics.Object;
            Wrap(objectConstructor, "groupBy", Guard.Callback, 1);
            Wrap(objectConstructor, "fromEntries", Guard.FromEntries);
            foreach (var name in (string[]) ["keys", "values", "entries", "getOwnPropertyNames", "getOwnPropertyDescriptors"])
            {
                Wrap(objectConstructor, name, Guard.Keys, 0);
            }

            Wrap(objectConstructor, "assign", Guard.Keys, 1);

            // Iterator helpers run their callbacks lazily, from whatever consumes the iterator (spread, Array.from, ...).
            WrapCallbacks((ObjectInstance) ((ObjectInstance) global.Get("Iterator")).Get("prototype"), IteratorCallbackMethods, index: 0);

            // Regular expression literals reach RegExp.prototype without reading the global name, so it is patched now,
            // its constructor included: /a/.constructor must be the same guarded RegExp as the global.
            var regExpPrototype = (ObjectInstance) engine.Intrinsics.RegExp.Get("prototype");
            _regExpPrototype = regExpPrototype;
            _regExpExec = regExpPrototype.Get("exec");
            regExpPrototype.FastSetProperty("compile", new PropertyDescriptor(JsValue.Undefined, PropertyFlag.OnlyConfigurable));
            regExpPrototype.FastSetProperty("constructor", Lazy(Guard.RegExpConstructor, PropertyDescriptor.Undefined, PropertyFlag.NonEnumerable));
            Wrap(regExpPrototype, GlobalSymbolRegistry.Replace, Guard.RegExpReplace);

            Wrap(global, "encodeURI", Guard.EncodeUri);
            Wrap(global, "encodeURIComponent", Guard.EncodeUriComponent);
            Wrap(global, "escape", Guard.Escape);

            // The rest is reachable only through these globals, so it is built on their first read. The original
            // descriptor is no longer in the global object once replaced, so a script writing the global cannot change
            // what the factory reads.
            foreach (var name in (string[]) ["RegExp", "JSON", "DataView", "ArrayBuffer", "Set", "Map", "Reflect", .. TypedArrays.Keys])
            {
                var original = global.GetOwnProperty(name);
                global.FastSetProperty(name, Lazy(Guard.Global, original, Flags(original), name));
            }
        }

        // ---- installation helpers ----

        // One lazy descriptor per guarded property, carrying its state inline: an idle engine pays for neither the
        // proxy nor the original function until the script reads the property.
        private PropertyDescriptor Lazy(Guard guard, PropertyDescriptor original, PropertyFlag flags, string? name = null, int parameter = 0) =>
            PropertyDescriptor.CreateLazy(new LazyGuard(this, guard, original, name, parameter), static lazy => lazy.Owner.Materialize(lazy), flags);

        private void Wrap(ObjectInstance holder, JsValue key, Guard guard, int parameter = 0)
        {
            var original = holder.GetOwnProperty(key);
            holder.FastSetProperty(key, Lazy(guard, original, Flags(original), parameter: parameter));
        }

        private void WrapCallbacks(ObjectInstance holder, string[] names, int index)
        {
            foreach (var name in names)
            {
                Wrap(holder, name, Guard.Callback, index);
            }
        }

        private JsValue Materialize(LazyGuard lazy) => lazy.Guard switch
        {
            Guard.RegExpConstructor => RegExpProxy,
            Guard.Global => MaterializeGlobal(lazy.Name!, lazy.Original.Value),
            _ => Proxy(lazy.Original.Value, lazy.Guard, lazy.Parameter),
        };

        private JsValue MaterializeGlobal(string name, JsValue original)
        {
            switch (name)
            {
                case "RegExp":
                    return RegExpProxy;
                case "JSON":
                    var json = (ObjectInstance) original;
                    _isRawJson = json.Get("isRawJSON");
                    Wrap(json, "stringify", Guard.Stringify);
                    Wrap(json, "parse", Guard.JsonParse, 1);
                    return json;
                case "Reflect":
                    Wrap((ObjectInstance) original, "ownKeys", Guard.Keys, 0);
                    return original;
                case "Set" or "Map":
                    var collection = (ObjectInstance) original;
                    var collectionPrototype = (ObjectInstance) collection.Get("prototype");
                    Wrap(collectionPrototype, "forEach", Guard.Callback, 0);
                    if (name == "Map")
                    {
                        Wrap(collection, "groupBy", Guard.Callback, 1);
                    }
                    else
                    {
                        foreach (var method in SetMethods)
                        {
                            Wrap(collectionPrototype, method, Guard.SetMethod);
                        }
                    }

                    var collectionProxy = engine.Advanced.CreateProxy(collection, new Trap(this, Guard.Collection, name == "Map" ? 1 : 0));
                    collectionPrototype.FastSetProperty("constructor", new PropertyDescriptor(collectionProxy, PropertyFlag.NonEnumerable));
                    return collectionProxy;
                case "DataView":
                    InstallBinary();
                    var prototype = (ObjectInstance) ((ObjectInstance) original).Get("prototype");
                    foreach (var method in (string[]) ["getBigInt64", "getBigUint64", "setBigInt64", "setBigUint64"])
                    {
                        prototype.FastSetProperty(method, new PropertyDescriptor(JsValue.Undefined, PropertyFlag.OnlyConfigurable));
                    }

                    return original;
                case "ArrayBuffer":
                    InstallBinary();
                    return ArrayBufferProxy;
                default:
                    InstallBinary();
                    var intrinsic = (ObjectInstance) original;
                    if (name == "Uint8Array")
                    {
                        Wrap(intrinsic, "fromBase64", Guard.FromBase64);
                        Wrap(intrinsic, "fromHex", Guard.FromHex);
                    }

                    var proxy = engine.Advanced.CreateProxy(intrinsic, new Trap(this, Guard.TypedArrayConstructor, TypedArrays[name], name));

                    // Otherwise instance.constructor, and every species lookup through it, would hand out the original.
                    ((ObjectInstance) intrinsic.Get("prototype")).FastSetProperty("constructor", new PropertyDescriptor(proxy, PropertyFlag.NonEnumerable));
                    return proxy;
            }
        }

        private static PropertyFlag Flags(PropertyDescriptor descriptor) =>
            (descriptor.Writable ? PropertyFlag.Writable : PropertyFlag.WritableSet)
            | (descriptor.Enumerable ? PropertyFlag.Enumerable : PropertyFlag.EnumerableSet)
            | (descriptor.Configurable ? PropertyFlag.Configurable : PropertyFlag.ConfigurableSet);

        private ObjectInstance Proxy(JsValue original, Guard guard, int parameter = 0) =>
            engine.Advanced.CreateProxy((ObjectInstance) original, new Trap(this, guard, parameter));

        private ObjectInstance RegExpProxy => _regExp ??= Proxy(engine.Intrinsics.RegExp, Guard.RegExpConstructor);

        private ObjectInstance ArrayBufferProxy => _arrayBuffer ??= Proxy(engine.Intrinsics.ArrayBuffer, Guard.ArrayBufferConstructor);

        // ArrayBuffer.prototype and %TypedArray%.prototype are reachable from any typed array or DataView (through
        // .buffer), so whichever of those globals is read first patches them.
        private void InstallBinary()
        {
            if (_bufferPrototype is not null)
            {
                return;
            }

            _bufferPrototype = (ObjectInstance) engine.Intrinsics.ArrayBuffer.Get("prototype");
            _bufferPrototype.FastSetProperty("constructor", PropertyDescriptor.CreateLazy(this, static guards => guards.ArrayBufferProxy, PropertyFlag.NonEnumerable));
            Wrap(_bufferPrototype, "resize", Guard.ResizeBuffer);
            Wrap(_bufferPrototype, "transfer", Guard.TransferBuffer);
            Wrap(_bufferPrototype, "transferToFixedLength", Guard.TransferBuffer);
            Wrap(_bufferPrototype, "slice", Guard.SliceBuffer);

            var typedArrayPrototype = ((ObjectInstance) engine.Intrinsics.Uint8Array.Get("prototype")).Prototype!;
            Wrap(typedArrayPrototype, "join", Guard.TypedArrayJoin);
            WrapCallbacks(typedArrayPrototype, TypedArrayCallbackMethods, index: 0);
            Wrap(engine.Intrinsics.Uint8Array.Prototype!, "from", Guard.Callback, 1);
        }

        public JsValue? Apply(Guard guard, int parameter, ObjectInstance target, JsValue thisObject, JsValue[] arguments) => guard switch
        {
            Guard.Callback => Drive(target, thisObject, arguments, parameter),
            Guard.JsonParse => ParseJson(target, thisObject, arguments, parameter),
            Guard.ArraySearch => SearchArray(thisObject, arguments, (Search) parameter),
            Guard.FromEntries => FromEntries(arguments),
            Guard.Keys => CheckKeys(arguments, parameter),
            Guard.SetMethod => SetMethod(target, thisObject, arguments),
            Guard.StringCopy => StringCopy(target, thisObject, arguments),
            Guard.Split => Split(target, thisObject, arguments),
            Guard.Repeat => Repeat(target, thisObject, arguments),
            Guard.Pad => Pad(target, thisObject, arguments),
            Guard.Concat => Concat(target, thisObject, arguments),
            Guard.Replace => Replace(target, thisObject, arguments, all: false),
            Guard.ReplaceAll => Replace(target, thisObject, arguments, all: true),
            Guard.Match => MatchLike(target, thisObject, arguments, GlobalSymbolRegistry.Match, requireGlobal: false),
            Guard.MatchAll => MatchLike(target, thisObject, arguments, GlobalSymbolRegistry.MatchAll, requireGlobal: true),
            Guard.Search => MatchLike(target, thisObject, arguments, GlobalSymbolRegistry.Search, requireGlobal: false),
            Guard.Raw => Raw(arguments),
            Guard.Join => Join(thisObject, arguments, locale: false),
            Guard.ToLocaleString => Join(thisObject, arguments, locale: true),
            Guard.Flat => Flat(thisObject, arguments),
            Guard.RegExpReplace => RegExpReplace(target, thisObject, arguments),
            Guard.RegExpConstructor => RegExpPattern(target, arguments, newTarget: null),
            Guard.EncodeUri => Encode(target, thisObject, arguments, EncodedLength.Uri),
            Guard.EncodeUriComponent => Encode(target, thisObject, arguments, EncodedLength.UriComponent),
            Guard.Escape => Encode(target, thisObject, arguments, EncodedLength.Escape),
            Guard.Stringify => Stringify(target, thisObject, arguments),
            Guard.ResizeBuffer => ResizeBuffer(target, thisObject, arguments),
            Guard.TransferBuffer => TransferBuffer(target, thisObject, arguments),
            Guard.SliceBuffer => SliceBuffer(target, thisObject, arguments),
            Guard.TypedArrayJoin => TypedArrayJoin(target, thisObject, arguments),
            Guard.FromBase64 => FromEncoded(arguments, bytesPerChar: 0.75),
            Guard.FromHex => FromEncoded(arguments, bytesPerChar: 0.5),
            _ => null, // a constructor called without new: the original throws its TypeError
        };

        public ObjectInstance? Construct(Guard guard, int parameter, ObjectInstance target, JsValue[] arguments, JsValue newTarget, string? name) => guard switch
        {
            Guard.Collection => FillCollection(target, arguments, newTarget, isMap: parameter == 1),
            Guard.RegExpConstructor => (ObjectInstance?) RegExpPattern(target, arguments, newTarget),
            Guard.ArrayBufferConstructor => ConstructArrayBuffer(target, arguments, newTarget),
            Guard.TypedArrayConstructor => ConstructTypedArray(target, arguments, newTarget, parameter, name!),
            _ => null,
        };

        // ---- shared checks ----

        private void Step() => engine.Constraints.Check();

        private void Step(ref int counter)
        {
            if (++counter % StepInterval == 0)
            {
                Step();
            }
        }

        // Our own per-element loops recurse in C#; Jint's stack guard only probes at interpreted function entries.
        private void ProbeStack()
        {
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                throw new JavaScriptException(_rangeError, StackExhaustedMessage);
            }
        }

        private void Charge(double bytes)
        {
            var used = budget.AllocatedInCall;
            if (bytes > _maxBytes - used)
            {
                throw AllocationRefused(bytes, used);
            }
        }

        private JavaScriptException AllocationRefused(double bytes, long used) => new(
            _rangeError,
            used > 0
                ? $"allocation of {bytes:0} bytes{LimitPhrase}memory limit of {_maxBytes} bytes ({used} bytes already allocated by this call)"
                : $"allocation of {bytes:0} bytes{LimitPhrase}memory limit of {_maxBytes} bytes");

        private void ChargeElements(double count, int elementSize, string what)
        {
            if (count > _maxTypedElements)
            {
                throw new JavaScriptException(_rangeError, $"{what} of {count:0} elements{LimitPhrase}element limit of {_maxTypedElements} elements");
            }

            Charge(count * elementSize);
        }

        private void CheckPattern(int length)
        {
            if (length > MaxPatternLength)
            {
                throw new JavaScriptException(_rangeError, $"regular expression pattern of {length} characters{PatternLimitPhrase}of {MaxPatternLength} characters");
            }
        }

        private JavaScriptException TypeError(string message) => new(engine.Intrinsics.TypeError, message);

        private static bool IsNullish(JsValue value) => value.IsNull() || value.IsUndefined();

        private static JsValue Arg(JsValue[] arguments, int index) => index < arguments.Length ? arguments[index] : JsValue.Undefined;

        private static bool AnyObject(JsValue thisObject, JsValue[] arguments)
        {
            if (thisObject is ObjectInstance)
            {
                return true;
            }

            foreach (var argument in arguments)
            {
                if (argument is ObjectInstance)
                {
                    return true;
                }
            }

            return false;
        }

        // ToIndex without the throw: an invalid value is passed on, and the original throws its own RangeError.
        private static bool TryIndex(JsValue value, out double index)
        {
            index = TypeConverter.ToIntegerOrInfinity(value);
            return index is >= 0 and <= MaxSafeInteger;
        }

        private static JsValue Number(double value) => JsNumber.Create(value);

        private string? ThisString(JsValue thisObject) =>
            IsNullish(thisObject) ? null : thisObject.IsString() ? thisObject.AsString() : TypeConverter.ToString(thisObject);

        private ObjectInstance ToObject(JsValue value) =>
            value as ObjectInstance ?? engine.Intrinsics.Object.Construct([value]);

        private JsValue Call(JsValue function, JsValue thisObject, params JsValue[] arguments) => engine.Call(function, thisObject, arguments);

        private static bool IsStringObject(ObjectInstance value) => StringObjectType?.IsInstanceOfType(value) == true;

        private static bool IsNumberObject(ObjectInstance value) => NumberObjectType?.IsInstanceOfType(value) == true;

        // ---- ArrayBuffer and typed arrays ----

        private ObjectInstance? ConstructArrayBuffer(ObjectInstance target, JsValue[] arguments, JsValue newTarget)
        {
            Step();
            var lengthArgument = Arg(arguments, 0);
            var options = Arg(arguments, 1);
            var valid = TryIndex(lengthArgument, out var length);
            double? maxLength = null;
            if (options is ObjectInstance optionsObject && optionsObject.Get("maxByteLength") is var max && !max.IsUndefined())
            {
                valid &= TryIndex(max, out var maxValue);
                maxLength = maxValue;
            }

            if (valid)
            {
                Charge(length);
                if (maxLength > _maxBytes)
                {
                    throw AllocationRefused(maxLength.Value, used: 0);
                }
            }

            if (!AnyObject(JsValue.Undefined, arguments))
            {
                return null;
            }

            // The options object is read once, here; the original gets a copy, so a getter cannot answer twice.
            var converted = TypeConverter.ToIntegerOrInfinity(lengthArgument);
            if (maxLength is null)
            {
                return ((Constructor) target).Construct([Number(converted)], newTarget);
            }

            var copy = engine.Intrinsics.Object.Construct([]);
            copy.Set("maxByteLength", Number(maxLength.Value));
            return ((Constructor) target).Construct([Number(converted), copy], newTarget);
        }

        private JsValue? ResizeBuffer(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var newLength = Arg(arguments, 0);
            if (TryIndex(newLength, out var length))
            {
                Charge(length);
            }

            return newLength is ObjectInstance ? Call(target, thisObject, Number(TypeConverter.ToIntegerOrInfinity(newLength))) : null;
        }

        private JsValue? TransferBuffer(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var newLength = Arg(arguments, 0);
            if (newLength.IsUndefined())
            {
                Charge(ByteLength(thisObject));
                return null;
            }

            if (TryIndex(newLength, out var length))
            {
                Charge(length);
            }

            return newLength is ObjectInstance ? Call(target, thisObject, Number(TypeConverter.ToIntegerOrInfinity(newLength))) : null;
        }

        private JsValue? SliceBuffer(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var length = ByteLength(thisObject);
            var start = Relative(TypeConverter.ToIntegerOrInfinity(Arg(arguments, 0)), length);
            var end = Arg(arguments, 1).IsUndefined() ? length : Relative(TypeConverter.ToIntegerOrInfinity(Arg(arguments, 1)), length);
            Charge(Math.Max(end - start, 0));
            return AnyObject(JsValue.Undefined, arguments) ? Call(target, thisObject, Number(start), Number(end)) : null;
        }

        private static double Relative(double relative, double length) =>
            relative < 0 ? Math.Max(length + relative, 0) : Math.Min(relative, length);

        // Read through the intrinsic getter, never through a property the script could have redefined.
        private double ByteLength(JsValue buffer) => BufferProperty(buffer, "byteLength");

        private double BufferProperty(JsValue buffer, string name) =>
            TypeConverter.ToNumber(Call(_bufferPrototype!.GetOwnProperty(name).Get!, buffer));

        private ObjectInstance? ConstructTypedArray(ObjectInstance target, JsValue[] arguments, JsValue newTarget, int elementSize, string name)
        {
            Step();
            var first = Arg(arguments, 0);
            switch (first)
            {
                case not ObjectInstance:
                    // new T() / new T(length): converting a primitive runs no script, so the original may repeat it.
                    if (TryIndex(first, out var length))
                    {
                        ChargeElements(length, elementSize, name);
                    }

                    return null;
                case JsTypedArray typed:
                    ChargeElements(typed.Length, elementSize, name);
                    return null;
                case JsArray array:
                    ChargeElements(array.Length, elementSize, name);
                    return null;
                case ObjectInstance buffer when buffer.IsArrayBuffer():
                    return ConstructView(target, arguments, newTarget, buffer, elementSize, name);
                default:
                    // An iterable or array-like: read exactly once, here, so a getter cannot report a small length to the
                    // guard and a huge one to the original.
                    var values = CollectValues((ObjectInstance) first, name);
                    ChargeElements(values.Length, elementSize, name);
                    return ((Constructor) target).Construct([new JsArray(engine, values)], newTarget);
            }
        }

        // A view allocates nothing, but its element count is what index enumeration (Object.keys, spread, for-in) pays for.
        private ObjectInstance? ConstructView(ObjectInstance target, JsValue[] arguments, JsValue newTarget, ObjectInstance buffer, int elementSize, string name)
        {
            var offsetArgument = Arg(arguments, 1);
            var lengthArgument = Arg(arguments, 2);
            var offset = TypeConverter.ToIntegerOrInfinity(offsetArgument);
            var length = lengthArgument.IsUndefined() ? double.NaN : TypeConverter.ToIntegerOrInfinity(lengthArgument);
            if (offset is >= 0 and <= MaxSafeInteger)
            {
                double elements;
                if (!double.IsNaN(length))
                {
                    elements = length;
                }
                else
                {
                    // A length-tracking view grows with its resizable buffer, up to the buffer's maximum.
                    var resizable = TypeConverter.ToBoolean(Call(_bufferPrototype!.GetOwnProperty("resizable").Get!, buffer));
                    elements = Math.Floor((BufferProperty(buffer, resizable ? "maxByteLength" : "byteLength") - offset) / elementSize);
                }

                if (elements > 0)
                {
                    ChargeElements(elements, elementSize: 0, name);
                }
            }

            if (offsetArgument is not ObjectInstance && lengthArgument is not ObjectInstance)
            {
                return null;
            }

            JsValue[] converted = double.IsNaN(length) ? [buffer, Number(offset)] : [buffer, Number(offset), Number(length)];
            return ((Constructor) target).Construct(converted, newTarget);
        }

        private JsValue[] CollectValues(ObjectInstance source, string name)
        {
            var iteratorMethod = source.Get(GlobalSymbolRegistry.Iterator);
            if (IsNullish(iteratorMethod))
            {
                var length = TypeConverter.ToLength(source.Get("length"));
                ChargeElements(length, elementSize: 8, name);
                var items = new JsValue[length];
                var counter = 0;
                for (var k = 0; k < items.Length; k++)
                {
                    Step(ref counter);
                    items[k] = source.Get(Number(k));
                }

                return items;
            }

            var values = new List<JsValue>();
            ForEachValue(source, value =>
            {
                if (values.Count >= _maxTypedElements)
                {
                    ChargeElements(values.Count + 1, elementSize: 0, name);
                }

                values.Add(value);
            });
            return [.. values];
        }

        private void CloseIterator(ObjectInstance iterator)
        {
            try
            {
                if (iterator.Get("return") is var close && close.IsCallable())
                {
                    Call(close, iterator);
                }
            }
            catch (JavaScriptException)
            {
                // IteratorClose on a throw completion: the original error (our RangeError) wins.
            }
        }

        private JsValue? FromEncoded(JsValue[] arguments, double bytesPerChar)
        {
            Step();
            var text = Arg(arguments, 0);
            if (text.IsString())
            {
                ChargeElements(Math.Ceiling(text.AsString().Length * bytesPerChar), elementSize: 1, "Uint8Array");
            }

            return null;
        }

        private JsValue? TypedArrayJoin(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            if (thisObject is not JsTypedArray typed)
            {
                return null;
            }

            var separatorArgument = Arg(arguments, 0);
            var separator = separatorArgument.IsUndefined() ? "," : TypeConverter.ToString(separatorArgument);
            var length = (double) typed.Length;
            Charge(2 * (length + (Math.Max(length - 1, 0) * separator.Length)));
            return separatorArgument is ObjectInstance ? Call(target, thisObject, JsString.Create(separator)) : null;
        }

        // ---- strings ----

        private JsValue? Repeat(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var text = ThisString(thisObject);
            if (text is null)
            {
                return null;
            }

            var count = TypeConverter.ToIntegerOrInfinity(Arg(arguments, 0));
            if (count is >= 0 and < double.PositiveInfinity)
            {
                Charge(2.0 * text.Length * count);
            }

            return AnyObject(thisObject, arguments) ? Call(target, JsString.Create(text), Number(count)) : null;
        }

        private JsValue? Pad(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var text = ThisString(thisObject);
            if (text is null)
            {
                return null;
            }

            // The specification converts the fill only when padding is needed; so do we.
            var maxLength = (double) TypeConverter.ToLength(Arg(arguments, 0));
            if (maxLength <= text.Length)
            {
                return AnyObject(thisObject, arguments) ? JsString.Create(text) : null;
            }

            var fillArgument = Arg(arguments, 1);
            var fill = fillArgument.IsUndefined() ? " " : TypeConverter.ToString(fillArgument);
            if (fill.Length == 0)
            {
                return JsString.Create(text);
            }

            Charge(2 * maxLength);
            return AnyObject(thisObject, arguments) ? Call(target, JsString.Create(text), Number(maxLength), JsString.Create(fill)) : null;
        }

        private JsValue? Concat(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var text = ThisString(thisObject);
            if (text is null)
            {
                return null;
            }

            var parts = new string[arguments.Length + 1];
            parts[0] = text;
            double length = text.Length;
            for (var i = 0; i < arguments.Length; i++)
            {
                parts[i + 1] = TypeConverter.ToString(arguments[i]);
                length += parts[i + 1].Length;
            }

            Charge(2 * length);
            return JsString.Create(string.Concat(parts));
        }

        private JsValue Raw(JsValue[] arguments)
        {
            Step();
            var cooked = Arg(arguments, 0);
            if (IsNullish(cooked))
            {
                throw TypeError("Cannot convert undefined or null to object");
            }

            var literals = ToObject(ToObject(cooked).Get("raw"));
            var count = TypeConverter.ToLength(literals.Get("length"));
            if (count == 0)
            {
                return JsString.Empty;
            }

            var remaining = _maxBytes - budget.AllocatedInCall;
            var result = new StringBuilder();
            var steps = 0;
            for (ulong i = 0; ; i++)
            {
                Step(ref steps);
                Append(result, TypeConverter.ToString(literals.Get(Number(i))), remaining);
                if (i + 1 == count)
                {
                    return JsString.Create(result.ToString());
                }

                if (i + 1 < (ulong) arguments.Length)
                {
                    Append(result, TypeConverter.ToString(arguments[(int) i + 1]), remaining);
                }
            }
        }

        private void Append(StringBuilder result, string part, long remaining)
        {
            if (2.0 * (result.Length + part.Length) > remaining)
            {
                throw AllocationRefused(2.0 * (result.Length + part.Length), _maxBytes - remaining);
            }

            result.Append(part);
        }

        private JsValue? Replace(ObjectInstance target, JsValue thisObject, JsValue[] arguments, bool all)
        {
            Step();
            if (IsNullish(thisObject))
            {
                return null;
            }

            var searchValue = Arg(arguments, 0);
            var replaceValue = Arg(arguments, 1);

            // The dispatch to a RegExp (or any object with Symbol.replace) is done here, exactly once, so a getter cannot
            // show the guard one path and the original another.
            if (searchValue is ObjectInstance searcher)
            {
                if (all && IsRegExp(searcher))
                {
                    var flags = searcher.Get("flags");
                    if (IsNullish(flags) || !TypeConverter.ToString(flags).Contains('g', StringComparison.Ordinal))
                    {
                        throw TypeError("replaceAll must be called with a global RegExp");
                    }
                }

                var replacer = searcher.Get(GlobalSymbolRegistry.Replace);
                if (!IsNullish(replacer))
                {
                    return Call(replacer, searcher, thisObject, replaceValue);
                }
            }

            var text = ThisString(thisObject)!;
            var search = TypeConverter.ToString(searchValue);
            if (replaceValue.IsCallable())
            {
                // Each replacement comes from script, which every limit bounds (or from a built-in, now stepped).
                return Call(target, JsString.Create(text), JsString.Create(search), Stepping(replaceValue));
            }

            var template = TypeConverter.ToString(replaceValue);
            var shape = TemplateShape.Of(template);
            double length = text.Length;
            var matched = false;
            var advance = Math.Max(1, search.Length);
            var steps = 0;
            for (var position = text.IndexOf(search, StringComparison.Ordinal); position >= 0;)
            {
                Step(ref steps);
                matched = true;
                length += shape.Length(search.Length, position, text.Length) - search.Length;
                if (!all || position + advance > text.Length)
                {
                    break;
                }

                position = text.IndexOf(search, position + advance, StringComparison.Ordinal);
            }

            // Without a match the original hands back the string itself.
            if (matched)
            {
                Charge(2 * length);
            }

            return Call(target, JsString.Create(text), JsString.Create(search), JsString.Create(template));
        }

        private JsValue? RegExpReplace(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var replaceValue = Arg(arguments, 1);
            if (thisObject is not ObjectInstance)
            {
                return null;
            }

            if (replaceValue.IsCallable())
            {
                return replaceValue is ScriptFunction ? null : Call(target, thisObject, Arg(arguments, 0), Stepping(replaceValue));
            }

            var text = TypeConverter.ToString(Arg(arguments, 0));
            var template = TypeConverter.ToString(replaceValue);
            var remaining = _maxBytes - budget.AllocatedInCall;

            // The common case is handed to the original as it is: a template without '$' and the built-in exec, which
            // finds at most one match per position, bound the output in advance.
            if (!template.Contains('$', StringComparison.Ordinal) && thisObject is JsRegExp regExp && HasBuiltInExec(regExp))
            {
                var matches = regExp.Global ? text.Length + 1.0 : 1.0;
                if (2 * (text.Length + (matches * template.Length)) <= remaining)
                {
                    return AnyObject(JsValue.Undefined, arguments) ? Call(target, thisObject, JsString.Create(text), JsString.Create(template)) : null;
                }
            }

            // Otherwise the string replacement becomes a function replacement computing the same substitution, so the
            // original's loop hands every match to code that counts what it adds: one match may repeat the input ($`,
            // $'), and an exec that the script overrides may report as many matches as it likes.
            double total = text.Length;
            var steps = 0;
            // Measuring a match walks the whole template, which may produce nothing (a run of empty captures), so a
            // long template is checked at every match rather than every 1024.
            var stepEveryMatch = template.Length > 256;
            var substitute = new ClrFunction(engine, string.Empty, (_, match) =>
            {
                if (stepEveryMatch)
                {
                    Step();
                }
                else
                {
                    Step(ref steps);
                }

                // (matched, ...captures, position, string[, groups]): position is always a number and string a string.
                var hasGroups = !(match[^1].IsString() && match[^2].IsNumber());
                var tail = hasGroups ? 4 : 3;
                if (match.Length < tail)
                {
                    return JsString.Empty;
                }

                var matched = TypeConverter.ToString(match[0]);
                var position = (int) TypeConverter.ToIntegerOrInfinity(match[^(tail - 1)]);
                var captures = match.AsSpan(1, match.Length - tail);
                var groups = hasGroups ? match[^1] : JsValue.Undefined;
                var length = Substitute(template, matched, text, position, captures, groups, output: null);
                total += length;
                if (2 * total > remaining)
                {
                    throw AllocationRefused(2 * total, _maxBytes - remaining);
                }

                var output = new StringBuilder((int) length);
                Substitute(template, matched, text, position, captures, groups, output);
                return JsString.Create(output.ToString());
            }, 0, PropertyFlag.Configurable);

            return Call(target, thisObject, JsString.Create(text), substitute);
        }

        // Read through descriptors, which runs no script, so a getter cannot answer differently to the original.
        private bool HasBuiltInExec(JsRegExp regExp) =>
            regExp.GetOwnProperty("exec") == PropertyDescriptor.Undefined
            && ReferenceEquals(regExp.Prototype, _regExpPrototype)
            && _regExpPrototype!.GetOwnProperty("exec") is { } exec
            && exec.IsDataDescriptor()
            && ReferenceEquals(exec.Value, _regExpExec);

        // GetSubstitution (ECMA-262 22.1.3.19.1). Measures only when output is null, so a match can be refused before
        // its replacement is built.
        private long Substitute(string template, string matched, string text, int position, ReadOnlySpan<JsValue> captures, JsValue groups, StringBuilder? output)
        {
            long length = 0;
            var i = 0;
            while (i < template.Length)
            {
                var next = i + 1 < template.Length ? template[i + 1] : '\0';
                if (template[i] != '$' || next == '\0')
                {
                    length += Emit(output, template, i, 1);
                    i++;
                    continue;
                }

                switch (next)
                {
                    case '$':
                        length += Emit(output, "$", 0, 1);
                        i += 2;
                        break;
                    case '&':
                        length += Emit(output, matched, 0, matched.Length);
                        i += 2;
                        break;
                    case '`':
                        length += Emit(output, text, 0, Math.Min(position, text.Length));
                        i += 2;
                        break;
                    case '\'':
                        var tail = Math.Min(position + matched.Length, text.Length);
                        length += Emit(output, text, tail, text.Length - tail);
                        i += 2;
                        break;
                    case >= '0' and <= '9':
                        var digits = i + 2 < template.Length && char.IsAsciiDigit(template[i + 2]) ? 2 : 1;
                        var index = digits == 2 ? ((next - '0') * 10) + (template[i + 2] - '0') : next - '0';
                        if (index > captures.Length && digits == 2)
                        {
                            digits = 1;
                            index = next - '0';
                        }

                        if (index >= 1 && index <= captures.Length)
                        {
                            var capture = captures[index - 1];
                            if (!capture.IsUndefined())
                            {
                                var value = TypeConverter.ToString(capture);
                                length += Emit(output, value, 0, value.Length);
                            }
                        }
                        else
                        {
                            length += Emit(output, template, i, 1 + digits);
                        }

                        i += 1 + digits;
                        break;
                    case '<':
                        var close = template.IndexOf('>', i);
                        if (close < 0 || groups.IsUndefined())
                        {
                            length += Emit(output, template, i, 2);
                            i += 2;
                            break;
                        }

                        var group = ToObject(groups).Get(template.Substring(i + 2, close - i - 2));
                        if (!group.IsUndefined())
                        {
                            var value = TypeConverter.ToString(group);
                            length += Emit(output, value, 0, value.Length);
                        }

                        i = close + 1;
                        break;
                    default:
                        length += Emit(output, template, i, 1);
                        i++;
                        break;
                }
            }

            return length;
        }

        private static int Emit(StringBuilder? output, string source, int start, int count)
        {
            output?.Append(source, start, count);
            return count;
        }

        private bool IsRegExp(ObjectInstance value)
        {
            var matcher = value.Get(GlobalSymbolRegistry.Match);
            return matcher.IsUndefined() ? value is JsRegExp : TypeConverter.ToBoolean(matcher);
        }

        // String.prototype.match, matchAll and search build a RegExp from a string argument internally, past the
        // RegExp constructor's guard; the dispatch is done here once and the pattern length checked.
        private JsValue? MatchLike(ObjectInstance target, JsValue thisObject, JsValue[] arguments, JsSymbol symbol, bool requireGlobal)
        {
            Step();
            if (IsNullish(thisObject))
            {
                return null;
            }

            var regexp = Arg(arguments, 0);
            if (regexp is not ObjectInstance matcherObject)
            {
                CheckPattern(regexp.IsUndefined() ? 0 : TypeConverter.ToString(regexp).Length);
                return null;
            }

            if (requireGlobal && IsRegExp(matcherObject))
            {
                var flags = matcherObject.Get("flags");
                if (IsNullish(flags) || !TypeConverter.ToString(flags).Contains('g', StringComparison.Ordinal))
                {
                    throw TypeError("matchAll must be called with a global RegExp");
                }
            }

            var matcher = matcherObject.Get(symbol);
            if (!IsNullish(matcher))
            {
                return Call(matcher, matcherObject, thisObject);
            }

            var text = ThisString(thisObject)!;
            var pattern = TypeConverter.ToString(matcherObject);
            CheckPattern(pattern.Length);
            return Call(target, JsString.Create(text), JsString.Create(pattern));
        }

        private JsValue? RegExpPattern(ObjectInstance target, JsValue[] arguments, JsValue? newTarget)
        {
            Step();
            var pattern = Arg(arguments, 0);
            var flags = Arg(arguments, 1);

            // RegExp(re) returns re itself when re's constructor is RegExp: the guarded one the script sees.
            if (newTarget is null && flags.IsUndefined() && pattern is ObjectInstance candidate && IsRegExp(candidate)
                && ReferenceEquals(candidate.Get("constructor"), _regExp))
            {
                return candidate;
            }

            switch (pattern)
            {
                case JsRegExp regExp:
                    CheckPattern(regExp.Source.Length);
                    return flags is ObjectInstance ? Recreate(regExp.Source, TypeConverter.ToString(flags)) : null;
                case not ObjectInstance:
                    CheckPattern(pattern.IsUndefined() ? 0 : TypeConverter.ToString(pattern).Length);
                    return flags is ObjectInstance ? Recreate(TypeConverter.ToString(pattern), TypeConverter.ToString(flags)) : null;
            }

            // Any other object: RegExp(pattern, flags) reads its source and flags (when it claims to be a RegExp) or
            // converts it to a string. Done once here, and the original gets the strings.
            var source = (ObjectInstance) pattern;
            var isRegExp = IsRegExp(source);
            var patternText = isRegExp ? source.Get("source") : source;
            var flagsValue = isRegExp && flags.IsUndefined() ? source.Get("flags") : flags;
            var text = patternText.IsUndefined() ? string.Empty : TypeConverter.ToString(patternText);
            CheckPattern(text.Length);
            return Recreate(text, flagsValue.IsUndefined() ? null : TypeConverter.ToString(flagsValue));

            JsValue Recreate(string patternString, string? flagsString)
            {
                JsValue[] converted = flagsString is null ? [JsString.Create(patternString)] : [JsString.Create(patternString), JsString.Create(flagsString)];
                return newTarget is null ? Call(target, JsValue.Undefined, converted) : ((Constructor) target).Construct(converted, newTarget);
            }
        }

        private JsValue? Encode(ObjectInstance target, JsValue thisObject, JsValue[] arguments, Func<string, long> encodedLength)
        {
            Step();
            var text = TypeConverter.ToString(Arg(arguments, 0));
            Charge(2.0 * encodedLength(text));
            return AnyObject(JsValue.Undefined, arguments) ? Call(target, thisObject, JsString.Create(text)) : null;
        }

        // ---- arrays ----

        // Array.prototype.join and toLocaleString, accounted per element: one element can be any size (a shared 4 MB
        // string, a typed array's own join), and Jint checks its constraints only every 10 000 elements. Cyclic
        // arrays join as "" the way Jint's own implementation (and every browser) does.
        private JsValue Join(JsValue thisObject, JsValue[] arguments, bool locale)
        {
            Step();
            if (IsNullish(thisObject))
            {
                throw TypeError("Array.prototype.join called on null or undefined");
            }

            var array = ToObject(thisObject);
            var length = TypeConverter.ToLength(array.Get("length"));
            var separator = locale ? "," : Arg(arguments, 0).IsUndefined() ? "," : TypeConverter.ToString(Arg(arguments, 0));
            if (length == 0 || !_joining.Add(array))
            {
                return JsString.Empty;
            }

            try
            {
                ProbeStack();
                var remaining = _maxBytes - budget.AllocatedInCall;
                if (2.0 * (length - 1) * separator.Length > remaining)
                {
                    throw AllocationRefused(2.0 * (length - 1) * separator.Length, _maxBytes - remaining);
                }

                JsValue[] localeArguments = locale ? [Arg(arguments, 0), Arg(arguments, 1)] : [];
                var result = new StringBuilder();
                var steps = 0;
                for (ulong k = 0; k < length; k++)
                {
                    Step(ref steps);
                    if (k > 0)
                    {
                        result.Append(separator);
                    }

                    var element = array.Get(Number(k));
                    if (IsNullish(element))
                    {
                        continue;
                    }

                    var text = locale ? LocaleString(element, localeArguments) : TypeConverter.ToString(element);
                    Append(result, text, remaining);
                }

                return JsString.Create(result.ToString());
            }
            finally
            {
                _joining.Remove(array);
            }
        }

        private string LocaleString(JsValue element, JsValue[] arguments)
        {
            var method = ToObject(element).Get("toLocaleString");
            if (!method.IsCallable())
            {
                throw TypeError("toLocaleString is not a function");
            }

            return TypeConverter.ToString(engine.Call(method, element, arguments));
        }

        // Array.prototype.flat: Jint's recursion over nested arrays checks its constraints per 10 000 elements of
        // one level, so an array that contains itself (flat(100)) ran 1.7 s and 519 MB before failing.
        private JsValue Flat(JsValue thisObject, JsValue[] arguments)
        {
            Step();
            if (IsNullish(thisObject))
            {
                throw TypeError("Array.prototype.flat called on null or undefined");
            }

            var source = ToObject(thisObject);
            var length = TypeConverter.ToLength(source.Get("length"));
            var depthArgument = Arg(arguments, 0);
            var depth = depthArgument.IsUndefined() ? 1 : Math.Max(TypeConverter.ToIntegerOrInfinity(depthArgument), 0);
            var result = ArraySpeciesCreate(source);
            var steps = 0;
            Flatten(result, source, length, 0, depth, ref steps);
            return result;
        }

        private double Flatten(ObjectInstance target, ObjectInstance source, ulong length, double targetIndex, double depth, ref int steps)
        {
            ProbeStack();
            for (ulong sourceIndex = 0; sourceIndex < length; sourceIndex++)
            {
                Step(ref steps);
                var key = Number(sourceIndex);
                if (!source.HasProperty(key))
                {
                    continue;
                }

                var element = source.Get(key);
                if (depth > 0 && element.IsArray())
                {
                    var inner = (ObjectInstance) element;
                    targetIndex = Flatten(target, inner, TypeConverter.ToLength(inner.Get("length")), targetIndex, depth - 1, ref steps);
                    continue;
                }

                if (targetIndex >= MaxSafeInteger)
                {
                    throw TypeError("flat would produce an array longer than 2^53 - 1");
                }

                if (!target.CreateDataProperty(Number(targetIndex), element))
                {
                    throw TypeError("Cannot add property " + targetIndex);
                }

                targetIndex++;
            }

            return targetIndex;
        }

        private ObjectInstance ArraySpeciesCreate(ObjectInstance source)
        {
            if (!source.IsArray())
            {
                return new JsArray(engine, 0, 0);
            }

            var constructor = source.Get("constructor");
            if (constructor is ObjectInstance constructorObject)
            {
                constructor = constructorObject.Get(GlobalSymbolRegistry.Species);
                if (constructor.IsNull())
                {
                    constructor = JsValue.Undefined;
                }
            }

            if (constructor.IsUndefined())
            {
                return new JsArray(engine, 0, 0);
            }

            if (!constructor.IsConstructor())
            {
                throw TypeError("object.constructor[Symbol.species] is not a constructor");
            }

            return engine.Construct(constructor, Number(0));
        }

        // ---- loops over elements that may each cost as much as a string's length ----

        // A built-in that calls back into a built-in (map(Function.prototype.call, ...), a bound built-in, a built-in
        // reviver) runs no script between elements, so nothing checks the limits for 10 000 elements; the callback is
        // replaced by one that checks before each call. Script callbacks are passed on as they are: their statements
        // are checked anyway.
        private JsValue? Drive(ObjectInstance target, JsValue thisObject, JsValue[] arguments, int index)
        {
            Step();
            if (index >= arguments.Length || arguments[index] is ScriptFunction || !arguments[index].IsCallable())
            {
                return null;
            }

            var stepped = (JsValue[]) arguments.Clone();
            stepped[index] = Stepping(arguments[index]);
            return Call(target, thisObject, stepped);
        }

        private JsValue Stepping(JsValue callback) =>
            callback is ScriptFunction
                ? callback
                : new ClrFunction(engine, string.Empty, (self, arguments) =>
                {
                    Step();
                    return engine.Call(callback, self, arguments);
                }, 0, PropertyFlag.Configurable);

        private JsValue? SearchArray(JsValue thisObject, JsValue[] arguments, Search search)
        {
            Step();
            if (Arg(arguments, 0) is not JsString { Length: >= LongSearch } searched || IsNullish(thisObject))
            {
                return null;
            }

            // Array.prototype.indexOf, lastIndexOf and includes (ECMA-262 23.1.3), for a long string only: comparing it
            // costs its length, and the original compares 10 000 elements between two checks.
            var text = searched.ToString();
            var array = ToObject(thisObject);
            var length = (double) TypeConverter.ToLength(array.Get("length"));
            JsValue notFound = search == Search.Includes ? JsBoolean.False : JsNumber.Create(-1);
            if (length == 0)
            {
                return notFound;
            }

            var meter = new WorkMeter(this);
            if (search == Search.LastIndexOf)
            {
                var from = arguments.Length > 1 ? TypeConverter.ToIntegerOrInfinity(arguments[1]) : length - 1;
                for (var k = from >= 0 ? Math.Min(from, length - 1) : length + from; k >= 0; k--)
                {
                    var key = Number(k);
                    if (array.HasProperty(key) && Matches(array.Get(key), text, meter))
                    {
                        return Number(k);
                    }
                }

                return notFound;
            }

            var start = TypeConverter.ToIntegerOrInfinity(Arg(arguments, 1));
            for (var k = start >= 0 ? start : Math.Max(length + start, 0); k < length; k++)
            {
                var key = Number(k);
                if (search == Search.Includes)
                {
                    if (Matches(array.Get(key), text, meter))
                    {
                        return JsBoolean.True;
                    }
                }
                else if (array.HasProperty(key) && Matches(array.Get(key), text, meter))
                {
                    return Number(k);
                }
            }

            return notFound;
        }

        private static bool Matches(JsValue element, string text, WorkMeter meter)
        {
            meter.Add(element);
            return element is JsString candidate && candidate.Length == text.Length && string.Equals(candidate.ToString(), text, StringComparison.Ordinal);
        }

        // Object.fromEntries (ECMA-262 20.1.2.7), hashing each key once and checking as it goes.
        private JsValue? FromEntries(JsValue[] arguments)
        {
            Step();
            if (Arg(arguments, 0) is not ObjectInstance iterable)
            {
                return null;
            }

            var result = engine.Intrinsics.Object.Construct([]);
            var meter = new WorkMeter(this);
            ForEachValue(iterable, entry =>
            {
                if (entry is not ObjectInstance pair)
                {
                    throw TypeError($"Iterator value {TypeConverter.ToString(entry)} is not an entry object");
                }

                var key = TypeConverter.ToPropertyKey(pair.Get("0"));
                var value = pair.Get("1");
                meter.Add(key);
                if (!result.CreateDataProperty(key, value))
                {
                    throw TypeError("Cannot add property " + key);
                }
            });
            return result;
        }

        // new Set(iterable) and new Map(iterable) (ECMA-262 24.1.1.1, 24.2.2.1): the adder is looked up once and called
        // per element, as the specification does, with a check as the keys' lengths add up.
        private ObjectInstance? FillCollection(ObjectInstance target, JsValue[] arguments, JsValue newTarget, bool isMap)
        {
            Step();
            var iterable = Arg(arguments, 0);
            if (IsNullish(iterable))
            {
                return null;
            }

            var collection = ((Constructor) target).Construct([], newTarget);
            var adder = collection.Get(isMap ? "set" : "add");
            if (!adder.IsCallable())
            {
                throw TypeError($"'{(isMap ? "set" : "add")}' of the collection is not a function");
            }

            var meter = new WorkMeter(this);
            ForEachValue(ToObject(iterable), value =>
            {
                if (!isMap)
                {
                    meter.Add(value);
                    Call(adder, collection, value);
                    return;
                }

                if (value is not ObjectInstance entry)
                {
                    throw TypeError($"Iterator value {TypeConverter.ToString(value)} is not an entry object");
                }

                var key = entry.Get("0");
                meter.Add(key);
                Call(adder, collection, key, entry.Get("1"));
            });
            return collection;
        }

        // Set.prototype.union and friends take any set-like: its keys() may be a built-in iterator over one long string
        // repeated, each hashed without a check. GetSetRecord is done here, once, and the original gets a set-like
        // whose has() and keys() check as they go.
        private JsValue? SetMethod(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            if (Arg(arguments, 0) is not ObjectInstance other || other is JsSet || other is JsMap)
            {
                return null;
            }

            var size = TypeConverter.ToNumber(other.Get("size"));
            if (double.IsNaN(size))
            {
                throw TypeError("The set-like's size is not a number");
            }

            var has = other.Get("has");
            var keys = other.Get("keys");
            if (!has.IsCallable() || !keys.IsCallable())
            {
                throw TypeError("The set-like's has and keys must be functions");
            }

            var meter = new WorkMeter(this);
            var setLike = engine.Intrinsics.Object.Construct([]);
            setLike.Set("size", Number(TypeConverter.ToIntegerOrInfinity(size)));
            setLike.Set("has", new ClrFunction(engine, "has", (_, values) =>
            {
                meter.Add(Arg(values, 0));
                return Call(has, other, Arg(values, 0));
            }, 1, PropertyFlag.Configurable));
            setLike.Set("keys", new ClrFunction(engine, "keys", (_, _) => SteppingIterator(Call(keys, other), meter), 0, PropertyFlag.Configurable));
            return Call(target, thisObject, setLike);
        }

        private ObjectInstance SteppingIterator(JsValue iteratorValue, WorkMeter meter)
        {
            var iterator = iteratorValue as ObjectInstance ?? throw TypeError("keys() did not return an object");
            var next = iterator.Get("next");
            var stepping = engine.Intrinsics.Object.Construct([]);
            stepping.Set("next", new ClrFunction(engine, "next", (_, _) =>
            {
                var result = Call(next, iterator);

                // Read through the descriptor, which runs no script; the original reads "value" itself.
                if (result is ObjectInstance resultObject && resultObject.GetOwnProperty("value") is { } value && value.IsDataDescriptor())
                {
                    meter.Add(value.Value);
                }
                else
                {
                    meter.Add(JsValue.Undefined);
                }

                return result;
            }, 0, PropertyFlag.Configurable));
            stepping.Set("return", new ClrFunction(engine, "return", (_, _) =>
                iterator.Get("return") is var close && close.IsCallable() ? Call(close, iterator) : engine.Intrinsics.Object.Construct([]), 0, PropertyFlag.Configurable));
            return stepping;
        }

        // Enumerating a string's indices (Object.keys('x'.repeat(4e6)): 312 MB, 2.6 s; getOwnPropertyDescriptors: 2.7
        // GB, 20 s) happens in one step; refused past the element limit. for-in and object spread over a string do the
        // same and cannot be guarded (see the remarks above).
        private JsValue? CheckKeys(JsValue[] arguments, int first)
        {
            Step();
            for (var i = first; i < arguments.Length && (first > 0 || i == 0); i++)
            {
                var value = arguments[i];
                double length = value switch
                {
                    JsString text => text.Length,
                    ObjectInstance wrapper when IsStringObject(wrapper) => TypeConverter.ToNumber(wrapper.Get("length")),
                    _ => 0,
                };
                if (length > maxElements)
                {
                    throw new JavaScriptException(_rangeError, $"enumerating {length:0} string indices{LimitPhrase}element limit of {maxElements} elements");
                }
            }

            return null;
        }

        private void ForEachValue(ObjectInstance iterable, Action<JsValue> body)
        {
            var method = iterable.Get(GlobalSymbolRegistry.Iterator);
            if (!method.IsCallable())
            {
                throw TypeError("object is not iterable");
            }

            var iterator = Call(method, iterable) as ObjectInstance ?? throw TypeError("Result of the Symbol.iterator method is not an object");
            var next = iterator.Get("next");
            var steps = 0;
            while (true)
            {
                Step(ref steps);
                var result = Call(next, iterator) as ObjectInstance ?? throw TypeError("Iterator result is not an object");
                if (TypeConverter.ToBoolean(result.Get("done")))
                {
                    return;
                }

                try
                {
                    body(result.Get("value"));
                }
                catch (JavaScriptException)
                {
                    // IfAbruptCloseIterator. The limits' own exceptions are not script completions: nothing more runs.
                    CloseIterator(iterator);
                    throw;
                }
            }
        }

        private sealed class WorkMeter(Guards guards)
        {
            private long _chars;
            private int _count;

            public void Add(JsValue value)
            {
                if (value is JsString text)
                {
                    _chars += text.Length;
                }

                if (++_count % StepInterval == 0 || _chars > StepChars)
                {
                    _chars = 0;
                    guards.Step();
                }
            }
        }

        // ---- string copies ----

        // The copy is as long as the string (a case mapping can only lengthen it): refused before it is made. The
        // arguments (a locale, a normalization form) are left to the original to convert, once.
        private JsValue? StringCopy(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var text = ThisString(thisObject);
            if (text is null)
            {
                return null;
            }

            Charge(2.0 * text.Length);
            return thisObject is ObjectInstance ? Call(target, JsString.Create(text), arguments) : null;
        }

        private JsValue? Split(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            if (IsNullish(thisObject))
            {
                return null;
            }

            var separator = Arg(arguments, 0);
            var limit = Arg(arguments, 1);
            if (separator is ObjectInstance splitterObject)
            {
                var splitter = splitterObject.Get(GlobalSymbolRegistry.Split);
                if (!IsNullish(splitter))
                {
                    return Call(splitter, splitterObject, thisObject, limit);
                }
            }

            var text = ThisString(thisObject)!;
            var limitValue = limit.IsUndefined() ? JsValue.Undefined : Number(TypeConverter.ToUint32(limit));
            var separatorValue = separator.IsUndefined() ? JsValue.Undefined : JsString.Create(TypeConverter.ToString(separator));
            if (separatorValue is JsString separatorText)
            {
                // The pieces are copies of everything between the separators (one per character for "").
                var pattern = separatorText.ToString();
                var found = pattern.Length == 0 ? text.Length : CountOccurrences(text, pattern);
                if (found > 0)
                {
                    Charge(2.0 * (text.Length - ((double) found * pattern.Length)));
                }
            }

            return AnyObject(thisObject, arguments) ? Call(target, JsString.Create(text), separatorValue, limitValue) : null;
        }

        private int CountOccurrences(string text, string pattern)
        {
            var count = 0;
            var steps = 0;
            for (var position = text.IndexOf(pattern, StringComparison.Ordinal); position >= 0; position = text.IndexOf(pattern, position + pattern.Length, StringComparison.Ordinal))
            {
                Step(ref steps);
                count++;
            }

            return count;
        }

        // ---- JSON ----

        // A reviver is driven like any other callback; without one the text is read by the fast path, and whatever that
        // leaves (null) goes to Jint's parser unchanged.
        private JsValue? ParseJson(ObjectInstance target, JsValue thisObject, JsValue[] arguments, int reviverIndex)
        {
            if (Arg(arguments, reviverIndex).IsCallable())
            {
                return Drive(target, thisObject, arguments, reviverIndex);
            }

            return Arg(arguments, 0) is var text && text.IsString() && JsonFastParse.TryParse(engine, text.AsString(), out var value)
                ? value
                : null;
        }

        // JSON.stringify is given a replacer that sees every value the serializer writes, so the output is accounted
        // per property: a string shared by 200 array slots, or a subtree shared 2^30 times, is counted every time it
        // is written. A script's own replacer function is called from ours; a property list is applied by handing the
        // serializer a copy of each object restricted to (and ordered by) the list.
        private JsValue Stringify(ObjectInstance target, JsValue thisObject, JsValue[] arguments)
        {
            Step();
            var replacer = Arg(arguments, 1);
            if (replacer.IsUndefined() && Arg(arguments, 2).IsUndefined())
            {
                // Plain data runs no script code while it is written: serialized directly, counted as it grows.
                var room = _maxBytes - budget.AllocatedInCall;
                var text = JsonFastStringify.TryStringify(engine, Arg(arguments, 0), room / 2.0, chars => AllocationRefused(2 * chars, _maxBytes - room));
                if (text is not null)
                {
                    return new JsString(text);
                }
            }

            ObjectInstance? replacerFunction = null;
            List<JsValue>? propertyList = null;
            if (replacer is ObjectInstance replacerObject)
            {
                if (replacerObject.IsCallable())
                {
                    replacerFunction = replacerObject;
                }
                else if (replacerObject.IsArray())
                {
                    propertyList = PropertyList(replacerObject);
                }
            }

            var (gap, space) = Gap(Arg(arguments, 2));
            var accounting = new StringifyAccounting(this, replacerFunction, propertyList, gap, _maxBytes - budget.AllocatedInCall);
            var replace = new ClrFunction(engine, string.Empty, accounting.Replace, 2, PropertyFlag.Configurable);
            return Call(target, thisObject, Arg(arguments, 0), replace, space);
        }

        private List<JsValue> PropertyList(ObjectInstance replacer)
        {
            var list = new List<JsValue>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var length = TypeConverter.ToLength(replacer.Get("length"));
            var steps = 0;
            for (ulong k = 0; k < length; k++)
            {
                Step(ref steps);
                var value = replacer.Get(Number(k));
                var item = value.IsString() || value.IsNumber() || (value is ObjectInstance o && (IsStringObject(o) || IsNumberObject(o)))
                    ? TypeConverter.ToString(value)
                    : null;
                if (item is not null && seen.Add(item))
                {
                    list.Add(JsString.Create(item));
                }
            }

            return list;
        }

        // The gap is computed once (a Number or String object's valueOf/toString may be script) and handed to the
        // original as the equivalent string, which yields the same gap.
        private (int Gap, JsValue Space) Gap(JsValue space)
        {
            if (space is ObjectInstance spaceObject)
            {
                if (IsNumberObject(spaceObject))
                {
                    space = Number(TypeConverter.ToNumber(space));
                }
                else if (IsStringObject(spaceObject))
                {
                    space = JsString.Create(TypeConverter.ToString(space));
                }
                else
                {
                    return (0, space);
                }
            }

            if (space.IsNumber())
            {
                var width = (int) Math.Clamp(TypeConverter.ToIntegerOrInfinity(space), 0, 10);
                return (width, JsString.Create(new string(' ', width)));
            }

            if (space.IsString())
            {
                var text = space.AsString();
                var gap = text.Length > 10 ? text[..10] : text;
                return (gap.Length, JsString.Create(gap));
            }

            return (0, space);
        }

        private bool IsRawJson(ObjectInstance value) =>
            value.Prototype is null
            && value.HasOwnProperty("rawJSON")
            && _isRawJson.IsCallable()
            && TypeConverter.ToBoolean(Call(_isRawJson, JsValue.Undefined, value));

        private sealed class StringifyAccounting(Guards guards, ObjectInstance? replacer, List<JsValue>? propertyList, int gap, long remaining)
        {
            // The objects the serializer is inside of, outermost first: a replacer call's holder is always one of them.
            private readonly List<(ObjectInstance Value, bool IsArray)> _open = [];
            private double _chars;
            private int _steps;

            public JsValue Replace(JsValue holder, JsValue[] arguments)
            {
                guards.Step(ref _steps);
                guards.ProbeStack();
                var key = Arg(arguments, 0);
                var value = Arg(arguments, 1);
                if (replacer is not null)
                {
                    value = guards.Call(replacer, holder, key, value);
                }
                else if (propertyList is not null && value is ObjectInstance listed && IsPlainObject(listed))
                {
                    value = Restrict(listed);
                }

                // The serializer would convert a String object right after the replacer; converting it here, once, is
                // the same call and lets its length be counted.
                if (value is ObjectInstance wrapper && IsStringObject(wrapper))
                {
                    value = JsString.Create(TypeConverter.ToString(wrapper));
                }

                while (_open.Count > 0 && !ReferenceEquals(_open[^1].Value, holder))
                {
                    _open.RemoveAt(_open.Count - 1);
                }

                var depth = _open.Count;
                double chars = 0;
                if (depth > 0)
                {
                    chars += 1 + Indent(depth);
                    if (!_open[^1].IsArray)
                    {
                        chars += QuotedLength(TypeConverter.ToString(key)) + 1 + (gap > 0 ? 1 : 0);
                    }
                }

                switch (value)
                {
                    case JsString text:
                        chars += QuotedLength(text.ToString());
                        break;
                    case JsNumber or JsBoolean:
                        chars += 1;
                        break;
                    case ObjectInstance callable when callable.IsCallable():
                        break;
                    case ObjectInstance raw when guards.IsRawJson(raw):
                        chars += TypeConverter.ToString(raw.Get("rawJSON")).Length;
                        break;
                    case ObjectInstance nested:
                        chars += 2 + Indent(depth);
                        _open.Add((nested, nested.IsArray()));
                        break;
                    default:
                        chars += value.IsNull() ? 4 : 0;
                        break;
                }

                _chars += chars;
                if (2 * _chars > remaining)
                {
                    throw guards.AllocationRefused(2 * _chars, guards.MaxBytes - remaining);
                }

                return value;
            }

            private double Indent(int depth) => gap > 0 ? 1 + ((double) gap * depth) : 0;

            private bool IsPlainObject(ObjectInstance value) =>
                !value.IsCallable() && !value.IsArray() && !IsStringObject(value) && !IsNumberObject(value) && !guards.IsRawJson(value);

            private ObjectInstance Restrict(ObjectInstance value)
            {
                var copy = guards.Engine.Intrinsics.Object.Construct([]);
                foreach (var name in propertyList!)
                {
                    copy.CreateDataProperty(name, value.Get(name));
                }

                return copy;
            }
        }

        // QuoteJSONString's output length: two quotes, two characters for the short escapes, six for \uXXXX.
        private static double QuotedLength(string text)
        {
            double length = 2;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c is '"' or '\\' or '\b' or '\f' or '\n' or '\r' or '\t')
                {
                    length += 2;
                }
                else if (c < ' ')
                {
                    length += 6;
                }
                else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    length += 2;
                    i++;
                }
                else
                {
                    length += char.IsSurrogate(c) ? 6 : 1;
                }
            }

            return length;
        }
    }

    /// <summary>
    /// A replacement template with no captures to refer to (a string search value), reduced to what its output length
    /// depends on, so a replaceAll with a million matches is measured in a million steps, not a million template scans.
    /// </summary>
    private readonly record struct TemplateShape(long Literal, int Matches, int Prefixes, int Suffixes)
    {
        public static TemplateShape Of(string template)
        {
            long literal = 0;
            int matches = 0, prefixes = 0, suffixes = 0;
            for (var i = 0; i < template.Length; i++)
            {
                if (template[i] != '$' || i + 1 == template.Length)
                {
                    literal++;
                    continue;
                }

                switch (template[i + 1])
                {
                    case '$':
                        literal++;
                        i++;
                        break;
                    case '&':
                        matches++;
                        i++;
                        break;
                    case '`':
                        prefixes++;
                        i++;
                        break;
                    case '\'':
                        suffixes++;
                        i++;
                        break;
                    default:
                        // $n and $<name> stay literal without captures; the '$' is counted now, the rest as it comes.
                        literal++;
                        break;
                }
            }

            return new TemplateShape(literal, matches, prefixes, suffixes);
        }

        public double Length(int matchLength, int position, int textLength) =>
            Literal + ((double) Matches * matchLength) + ((double) Prefixes * position) + ((double) Suffixes * Math.Max(textLength - position - matchLength, 0));
    }

    /// <summary>Exact output lengths of the URI and escape encoders, so their ×9 expansion is refused before it is built.</summary>
    private static class EncodedLength
    {
        private const string UriComponentUnescaped = "-_.!~*'()";
        private const string UriUnescaped = "-_.!~*'();/?:@&=+$,#";
        private const string EscapeUnescaped = "@*_+-./";

        public static long Uri(string text) => Utf8Escaped(text, UriUnescaped);

        public static long UriComponent(string text) => Utf8Escaped(text, UriComponentUnescaped);

        public static long Escape(string text)
        {
            long length = 0;
            foreach (var c in text)
            {
                length += char.IsAsciiLetterOrDigit(c) || EscapeUnescaped.Contains(c, StringComparison.Ordinal) ? 1 : c < 256 ? 3 : 6;
            }

            return length;
        }

        private static long Utf8Escaped(string text, string unescaped)
        {
            long length = 0;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c < 0x80)
                {
                    length += char.IsAsciiLetterOrDigit(c) || unescaped.Contains(c, StringComparison.Ordinal) ? 1 : 3;
                }
                else if (c < 0x800)
                {
                    length += 6;
                }
                else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    length += 12;
                    i++;
                }
                else
                {
                    length += 9;
                }
            }

            return length;
        }
    }

    private enum Guard
    {
        Global, Repeat, Pad, Concat, Replace, ReplaceAll, Match, MatchAll, Search, Raw, Join, ToLocaleString, Flat,
        RegExpReplace, RegExpConstructor, EncodeUri, EncodeUriComponent, Escape, Stringify, ResizeBuffer, TransferBuffer,
        SliceBuffer, TypedArrayJoin, FromBase64, FromHex, ArrayBufferConstructor, TypedArrayConstructor, Callback,
        FromEntries, Keys, SetMethod, StringCopy, Split, Collection, ArraySearch, JsonParse,
    }

    private enum Search { IndexOf, LastIndexOf, Includes }

    private readonly record struct LazyGuard(Guards Owner, Guard Guard, PropertyDescriptor Original, string? Name, int Parameter);

    // A trap returning null forwards the operation to the original unchanged.
    private sealed class Trap(Guards owner, Guard guard, int parameter = 0, string? name = null) : ProxyHandler
    {
        public override JsValue? Apply(ObjectInstance target, JsValue thisObject, JsValue[] arguments) =>
            owner.Apply(guard, parameter, target, thisObject, arguments);

        public override ObjectInstance? Construct(ObjectInstance target, JsValue[] arguments, JsValue newTarget) =>
            owner.Construct(guard, parameter, target, arguments, newTarget, name);
    }
}

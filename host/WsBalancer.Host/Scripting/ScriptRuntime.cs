using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// One script version running for one session: its own engine (JS values never cross engines), the session object
/// the script sees, and that script's private <c>state</c>. Not thread-safe: the session serializes its calls.
/// </summary>
internal sealed class ScriptRuntime
{
    private readonly Engine _engine;
    private readonly JsObject _session;
    private readonly ScriptEffects _effects = new();
    private readonly ScriptConsole _console;
    private readonly int _maxMessageBytes;
    private JsValue _state;
    private GlobalsFingerprint? _globalsAtStart;
    private string? _backendId;
    private int _reconnects = -1;

    private ScriptRuntime(ScriptFile file, Engine engine, JsObject session, JsValue state, ScriptConsole console)
    {
        File = file;
        _engine = engine;
        _session = session;
        _state = state;
        _console = console;
        _maxMessageBytes = file.Header.Limits.MaxMessageBytes;
    }

    public ScriptFile File { get; }

    /// <summary>Effects requested during the last call; the caller reads and clears them.</summary>
    public ScriptEffects Effects => _effects;

    /// <summary>
    /// Creates the engine, gives it the session object (and <paramref name="carriedState"/> as its state when it is
    /// JSON of an earlier version's state), and runs the script's top level within its limits.
    /// </summary>
    public static (ScriptRuntime? Runtime, ScriptFault? Fault) Create(ScriptFile file, ScriptSessionInfo info, string? carriedState, ScriptConsole console)
    {
        var limits = file.Header.Limits;
        // No per-engine token: a call is bounded by its limits, and the session closes its engines when it ends.
        var engine = ScriptEngineFactory.Create(limits, CancellationToken.None);
        try
        {
            var session = BuildSession(engine, info);
            var state = carriedState is null ? new JsObject(engine) : ParseJson(engine, carriedState);
            session.Set("state", state);
            var runtime = new ScriptRuntime(file, engine, session, state, console);
            runtime.InstallFunctions();
            engine.Execute(file.Program);
            runtime._globalsAtStart = GlobalsFingerprint.Take(engine, file.Globals);
            return (runtime, null);
        }
        catch (Exception ex)
        {
            // A fault barrier: whatever the script (or the engine under it) throws ends this engine, never the session.
            engine.Dispose();
            return (null, Fault(ex, file.Name));
        }
    }

    /// <summary>Calls a message hook and reads its return value. Never throws for what a script can do.</summary>
    public ScriptCall CallMessageHook(string hook, WsMessage message, ScriptSessionInfo info)
    {
        if (message.Data.Length > _maxMessageBytes)
        {
            return new ScriptCall(ScriptVerdict.Error, null, ScriptFault.TooBig(File.Name, message.Data.Length, _maxMessageBytes));
        }

        try
        {
            Refresh(info);
            // A direct call of the function found at load: no name lookup or argument conversion per message.
            var result = _engine.Call(Function(hook), JsValue.Undefined, [ToJs(message), _session]);
            return Read(result, message);
        }
        catch (Exception ex)
        {
            return new ScriptCall(ScriptVerdict.Error, null, Fault(ex, File.Name));
        }
    }

    /// <summary>Calls a lifecycle hook (onOpen, onFailover, onClose) with extra arguments; returns what it returned, read as messages.</summary>
    public ScriptCall CallLifecycleHook(string hook, ScriptSessionInfo info, params JsValue[] extra)
    {
        try
        {
            Refresh(info);
            var result = _engine.Call(Function(hook), JsValue.Undefined, [_session, .. extra]);
            return result.IsUndefined() || result.IsNull() ? new ScriptCall(ScriptVerdict.Pass, null, null) : Read(result, null);
        }
        catch (Exception ex)
        {
            return new ScriptCall(ScriptVerdict.Error, null, Fault(ex, File.Name));
        }
    }

    public static JsValue Text(string text) => new JsString(text);

    /// <summary>
    /// What an exception out of a call means. One the sandbox does not know (an engine bug, a guard that missed) is
    /// still only this script's failure: reported as <see cref="ScriptFaultKind.Unexpected"/>, which counts towards
    /// quarantine and makes the session start a fresh engine.
    /// </summary>
    private static ScriptFault Fault(Exception exception, string file) =>
        ScriptFault.Classify(exception, file)
        ?? new ScriptFault(ScriptFaultKind.Unexpected, $"{exception.GetType().Name}: {exception.Message}", file);

    public static JsValue Number(int value) => JsNumber.Create(value);

    /// <summary>The hook's function as the script's globals hold it now (a script may wrap or replace its own hooks).</summary>
    private JsValue Function(string hook)
    {
        var function = _engine.GetValue(hook);
        return function.IsCallable()
            ? function
            : throw new JavaScriptException(_engine.Intrinsics.TypeError, $"{hook} is not a function any more");
    }

    /// <summary>The state as JSON when it is plain data (objects, arrays, strings, numbers, booleans, null), else null.</summary>
    public string? ExportState()
    {
        var nodes = 0;
        if (!IsPlain(_state, 0, ref nodes))
        {
            return null;
        }

        try
        {
            var json = _engine.Invoke(_engine.GetValue("JSON").AsObject().Get("stringify"), _state);
            return json.IsString() ? json.AsString() : null;
        }
        catch (Exception)
        {
            return null; // state that cannot be exported starts fresh in the new version
        }
    }

    /// <summary>When the session last called into this engine (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastUsed { get; set; }

    /// <summary>
    /// The state as JSON when the engine can be let go without losing anything: the state is plain data and every
    /// top-level binding still holds what the script's top level gave it. Null otherwise, and the engine stays.
    /// </summary>
    /// <remarks>
    /// A fresh engine runs the top level again and gets the state back, which is then all there was. What this cannot
    /// see is a property a call added to <c>globalThis</c> itself; the README says to keep such data in the state.
    /// </remarks>
    public string? ReleasableState()
    {
        if (_globalsAtStart is null)
        {
            return null;
        }

        try
        {
            var now = GlobalsFingerprint.Take(_engine, File.Globals);
            return now is not null && _globalsAtStart.SameAs(now) ? ExportState() : null;
        }
        catch (Exception)
        {
            return null; // the probe broke a limit: keep the engine rather than guess
        }
    }

    public void Dispose() => _engine.Dispose();

    // The engine keeps its RangeError constructor internal; the global one is the same object.
    private JavaScriptException RangeError(string message) =>
        new((Jint.Native.Error.ErrorConstructor)_engine.GetValue("RangeError"), message);

    private static JsObject BuildSession(Engine engine, ScriptSessionInfo info)
    {
        var session = new JsObject(engine);
        session.FastSetProperty("id", Fixed(new JsString(info.Id)));
        session.FastSetProperty("uri", Fixed(new JsString(info.Uri)));
        session.FastSetProperty("path", Fixed(new JsString(info.Path)));
        session.FastSetProperty("query", Fixed(new JsString(info.Query)));
        session.FastSetProperty("frontendId", Fixed(new JsString(info.FrontendId)));
        session.FastSetProperty("remoteAddress", Fixed(info.RemoteAddress is null ? JsValue.Null : new JsString(info.RemoteAddress)));
        var headers = new JsObject(engine);
        foreach (var (name, value) in info.Headers)
        {
            headers.FastSetProperty(name, Fixed(new JsString(value)));
        }

        headers.PreventExtensions();
        session.FastSetProperty("headers", Fixed(headers));
        return session;
    }

    private static PropertyDescriptor Fixed(JsValue value) => new(value, PropertyFlag.Enumerable);

    private static JsValue ParseJson(Engine engine, string json) =>
        engine.Invoke(engine.GetValue("JSON").AsObject().Get("parse"), new JsString(json));

    /// <summary>The figures that change while a session lives, set before a call when they changed.</summary>
    private void Refresh(ScriptSessionInfo info)
    {
        _effects.Clear();
        var backendId = info.BackendId();
        var reconnects = info.Reconnects();
        if (!ReferenceEquals(backendId, _backendId) || reconnects != _reconnects)
        {
            _backendId = backendId;
            _reconnects = reconnects;
            _session.FastSetProperty("backendId", Fixed(new JsString(backendId)));
            _session.FastSetProperty("reconnects", Fixed(JsNumber.Create(reconnects)));
        }
    }

    private void InstallFunctions()
    {
        _session.FastSetProperty("reply", Fixed(new ClrFunction(_engine, "reply", (_, args) =>
        {
            _effects.Reply(ToMessage(args.Length > 0 ? args[0] : JsValue.Undefined, "session.reply"));
            return JsValue.Undefined;
        }, 1)));
        _session.FastSetProperty("send", Fixed(new ClrFunction(_engine, "send", (_, args) =>
        {
            _effects.Send(ToMessage(args.Length > 0 ? args[0] : JsValue.Undefined, "session.send"));
            return JsValue.Undefined;
        }, 1)));
        _session.FastSetProperty("close", Fixed(new ClrFunction(_engine, "close", (_, args) =>
        {
            var code = args.Length > 0 && args[0].IsNumber() ? (int)args[0].AsNumber() : 1000;
            if (code is < 1000 or > 4999 or 1004 or 1005 or 1006 or 1015 || code is > 1014 and < 3000)
            {
                throw RangeError($"session.close: {code} is not a close code a peer may send (1000-1003, 1007-1014, 3000-4999)");
            }

            _effects.RequestClose(code, args.Length > 1 && args[1].IsString() ? args[1].AsString() : string.Empty);
            return JsValue.Undefined;
        }, 2)));
        _session.PreventExtensions();
        _engine.SetValue("console", _console.CreateObject(_engine));
    }

    private JsValue ToJs(WsMessage message)
    {
        var js = new JsObject(_engine);
        if (message.Type == WsMessageType.Text)
        {
            js.FastSetProperty("type", new PropertyDescriptor(JsString.Create("text"), PropertyFlag.ConfigurableEnumerableWritable));
            js.FastSetProperty("text", new PropertyDescriptor(new JsString(message.GetText()), PropertyFlag.ConfigurableEnumerableWritable));
        }
        else
        {
            js.FastSetProperty("type", new PropertyDescriptor(JsString.Create("binary"), PropertyFlag.ConfigurableEnumerableWritable));
            // A copy: scripts never see the host's (possibly pooled) memory.
            js.FastSetProperty("data", new PropertyDescriptor(_engine.Intrinsics.Uint8Array.Construct(message.Data.Span), PropertyFlag.ConfigurableEnumerableWritable));
        }

        js.FastSetProperty("size", new PropertyDescriptor(JsNumber.Create(message.Data.Length), PropertyFlag.ConfigurableEnumerableWritable));
        return js;
    }

    /// <summary>undefined: pass; null: drop; a message, string or Uint8Array: that message; an array: each of them.</summary>
    private ScriptCall Read(JsValue result, WsMessage? original)
    {
        if (result.IsUndefined())
        {
            return new ScriptCall(ScriptVerdict.Pass, null, null);
        }

        if (result.IsNull())
        {
            return new ScriptCall(ScriptVerdict.Drop, null, null);
        }

        if (result is JsArray array)
        {
            var messages = new List<WsMessage>((int)Math.Min(array.Length, 64));
            for (uint i = 0; i < array.Length; i++)
            {
                var item = array.Get(i);
                if (!item.IsNull() && !item.IsUndefined())
                {
                    messages.Add(ToMessage(item, "the returned array"));
                }
            }

            return messages.Count == 0 ? new ScriptCall(ScriptVerdict.Drop, null, null) : new ScriptCall(ScriptVerdict.Replace, messages, null);
        }

        var message = ToMessage(result, "the return value");
        return original is not null && message.Type == original.Type && message.Data.Span.SequenceEqual(original.Data.Span)
            ? new ScriptCall(ScriptVerdict.Pass, null, null)
            : new ScriptCall(ScriptVerdict.Replace, [message], null);
    }

    /// <summary>A string (text), a Uint8Array (binary), or a message object; throws a JS TypeError otherwise.</summary>
    private WsMessage ToMessage(JsValue value, string what)
    {
        WsMessage message;
        if (value.IsString())
        {
            message = WsMessage.Text(value.AsString());
        }
        else if (value.IsUint8Array())
        {
            message = WsMessage.Binary(value.AsUint8Array());
        }
        else if (value is ObjectInstance obj && obj.Get("type") is var type && type.IsString())
        {
            message = type.AsString() switch
            {
                "text" when obj.Get("text") is var text && text.IsString() => WsMessage.Text(text.AsString()),
                "binary" when obj.Get("data") is var data && data.IsUint8Array() => WsMessage.Binary(data.AsUint8Array()),
                _ => throw new JavaScriptException(_engine.Intrinsics.TypeError, $"{what}: a message is {{type:'text', text}} or {{type:'binary', data: Uint8Array}}"),
            };
        }
        else
        {
            throw new JavaScriptException(_engine.Intrinsics.TypeError, $"{what}: expected a message object, a string, a Uint8Array, null or undefined");
        }

        return message.Data.Length <= _maxMessageBytes
            ? message
            : throw RangeError($"{what}: a message of {message.Data.Length} bytes exceeds the limit of {_maxMessageBytes}");
    }

    // Plain data survives a new version of the script as JSON; anything else (functions, class instances, maps,
    // typed arrays, cycles past the bounds) would lose its meaning, so such state starts fresh instead.
    private bool IsPlain(JsValue value, int depth, ref int nodes)
    {
        if (++nodes > 10_000 || depth > 32)
        {
            return false;
        }

        if (value.IsString() || value.IsNumber() || value.IsBoolean() || value.IsNull())
        {
            return true;
        }

        if (value is JsArray array)
        {
            for (uint i = 0; i < array.Length; i++)
            {
                if (!IsPlain(array.Get(i), depth + 1, ref nodes))
                {
                    return false;
                }
            }

            return true;
        }

        if (value is not ObjectInstance obj || obj is Jint.Native.Function.Function || !ReferenceEquals(obj.Prototype, _engine.Intrinsics.Object.PrototypeObject))
        {
            return false;
        }

        foreach (var key in obj.GetOwnPropertyKeys())
        {
            if (!key.IsString() || !IsPlain(obj.Get(key), depth + 1, ref nodes))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>What a script sees of its session; the two changing figures are read at each call.</summary>
internal sealed record ScriptSessionInfo(
    string Id,
    string Uri,
    string Path,
    string Query,
    string FrontendId,
    string? RemoteAddress,
    IReadOnlyList<(string Name, string Value)> Headers,
    Func<string> BackendId,
    Func<int> Reconnects);

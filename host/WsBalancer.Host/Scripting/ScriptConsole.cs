using Jint;
using Jint.Native;
using Jint.Runtime.Interop;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Plugins;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// <c>console.log/warn/error</c> of one script: to the host log with the script's name and line, at most
/// <see cref="MaxLinesPerWindow"/> lines per <see cref="Window"/> per script (the rest counted and reported).
/// </summary>
internal sealed class ScriptConsole
{
    public const int MaxLinesPerWindow = 20;
    public const int MaxLineLength = 1000;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly string _script;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _windowStart;
    private int _lines;
    private long _suppressed;

    public ScriptConsole(string script, ILogger logger, TimeProvider time)
    {
        _script = script;
        _logger = logger;
        _time = time;
    }

    public JsValue CreateObject(Engine engine)
    {
        var console = new Jint.Native.JsObject(engine);
        console.Set("log", new ClrFunction(engine, "log", (_, args) => Write(engine, LogLevel.Information, args)));
        console.Set("info", new ClrFunction(engine, "info", (_, args) => Write(engine, LogLevel.Information, args)));
        console.Set("warn", new ClrFunction(engine, "warn", (_, args) => Write(engine, LogLevel.Warning, args)));
        console.Set("error", new ClrFunction(engine, "error", (_, args) => Write(engine, LogLevel.Error, args)));
        return console;
    }

    private JsValue Write(Engine engine, LogLevel level, JsValue[] args)
    {
        if (!Admit())
        {
            return JsValue.Undefined;
        }

        var text = string.Join(' ', args.Select(a => a.IsString() ? a.AsString() : a.ToString()));
        if (text.Length > MaxLineLength)
        {
            text = text[..MaxLineLength] + "…";
        }

        var location = Location(engine);
        switch (level)
        {
            case LogLevel.Warning:
                ScriptingLog.ConsoleWarn(_logger, _script, location, text);
                break;
            case LogLevel.Error:
                ScriptingLog.ConsoleError(_logger, _script, location, text);
                break;
            default:
                ScriptingLog.ConsoleInfo(_logger, _script, location, text);
                break;
        }

        return JsValue.Undefined;
    }

    private bool Admit()
    {
        long suppressed;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_windowStart == 0 || _time.GetElapsedTime(_windowStart, now) >= Window)
            {
                suppressed = _suppressed;
                _windowStart = now;
                _lines = 0;
                _suppressed = 0;
            }
            else
            {
                suppressed = 0;
            }

            if (_lines >= MaxLinesPerWindow)
            {
                _suppressed++;
                return false;
            }

            _lines++;
        }

        if (suppressed > 0)
        {
            ScriptingLog.ConsoleSuppressed(_logger, _script, suppressed, (int)Window.TotalSeconds);
        }

        return true;
    }

    // The engine's stack trace names the calling script and line: "at beforeTransmit (10-auth.js:12:5)".
    private string Location(Engine engine)
    {
        var trace = engine.Advanced.StackTrace;
        var start = trace.IndexOf(_script, StringComparison.Ordinal);
        if (start < 0)
        {
            return _script;
        }

        var end = trace.IndexOfAny([')', '\n'], start);
        var location = end < 0 ? trace[start..] : trace[start..end];
        var lastColon = location.LastIndexOf(':');
        return lastColon > _script.Length ? location[..lastColon] : location;
    }
}

using Acornima.Ast;
using Jint;

namespace WsBalancer.Host.Scripting;

/// <summary>The hooks a script may define, as top-level functions.</summary>
[Flags]
internal enum ScriptHooks
{
    None = 0,
    BeforeTransmit = 1,
    AfterReceive = 2,
    OnOpen = 4,
    OnClose = 8,
    OnFailover = 16,
}

/// <summary>
/// One version of a script file: its source, header and the parsed program every session's engine runs. Immutable;
/// a saved file becomes a new version, and each session moves to it on its next call.
/// </summary>
internal sealed class ScriptFile
{
    public ScriptFile(string name, string source, string hash, int version, DateTimeOffset loadedAt, ScriptHeader header, Prepared<Script> program, ScriptHooks hooks)
    {
        Name = name;
        Source = source;
        Hash = hash;
        Version = version;
        LoadedAt = loadedAt;
        Header = header;
        Program = program;
        Hooks = hooks;
        Globals = ScriptGlobals.Of(program);
    }

    /// <summary>The file name, such as <c>10-auth.js</c>; scripts run in ordinal order of it.</summary>
    public string Name { get; }

    public string Source { get; }

    /// <summary>SHA-256 of the file, hex, first 16 characters: tells an operator which content is live.</summary>
    public string Hash { get; }

    public int Version { get; }

    public DateTimeOffset LoadedAt { get; }

    public ScriptHeader Header { get; }

    public Prepared<Script> Program { get; }

    /// <summary>The hooks the program declares at top level (read from its syntax tree, so no engine is needed to know).</summary>
    public ScriptHooks Hooks { get; }

    /// <summary>The top-level bindings, to tell whether an idle engine can be let go without losing anything.</summary>
    public ScriptGlobals Globals { get; }

    public bool Has(ScriptHooks hook) => (Hooks & hook) != 0;

    /// <summary>Finds the top-level function declarations among the hook names.</summary>
    public static ScriptHooks FindHooks(Prepared<Script> program)
    {
        var hooks = ScriptHooks.None;
        foreach (var statement in program.Program!.Body)
        {
            if (statement is FunctionDeclaration { Id.Name: var name })
            {
                hooks |= name switch
                {
                    "beforeTransmit" => ScriptHooks.BeforeTransmit,
                    "afterReceive" => ScriptHooks.AfterReceive,
                    "onOpen" => ScriptHooks.OnOpen,
                    "onClose" => ScriptHooks.OnClose,
                    "onFailover" => ScriptHooks.OnFailover,
                    _ => ScriptHooks.None,
                };
            }
        }

        return hooks;
    }
}

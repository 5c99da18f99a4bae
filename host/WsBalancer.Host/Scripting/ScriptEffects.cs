using WsBalancer.Sdk;

namespace WsBalancer.Host.Scripting;

/// <summary>What a script asked for during one call, carried out by the session once the call is over.</summary>
internal sealed class ScriptEffects
{
    public List<WsMessage>? Replies { get; private set; }

    public List<WsMessage>? Sends { get; private set; }

    public (int Code, string Reason)? Close { get; private set; }

    public bool IsEmpty => Replies is null && Sends is null && Close is null;

    public void Reply(WsMessage message) => (Replies ??= []).Add(message);

    public void Send(WsMessage message) => (Sends ??= []).Add(message);

    public void RequestClose(int code, string reason) => Close ??= (code, reason);

    public void Clear()
    {
        Replies = null;
        Sends = null;
        Close = null;
    }
}

/// <summary>The outcome of a script hook: messages to pass on, and whether it was a change.</summary>
internal enum ScriptVerdict
{
    /// <summary>The message passes unchanged (the script returned it, or undefined).</summary>
    Pass,

    /// <summary>The script returned other messages (or several): <see cref="ScriptCall.Messages"/>.</summary>
    Replace,

    /// <summary>The script returned null, or an empty array.</summary>
    Drop,

    /// <summary>The call threw or broke a limit: the script's on-error applies.</summary>
    Error,
}

/// <summary>One call's result. <see cref="Messages"/> is set for <see cref="ScriptVerdict.Replace"/>.</summary>
internal readonly record struct ScriptCall(ScriptVerdict Verdict, IReadOnlyList<WsMessage>? Messages, ScriptFault? Fault);

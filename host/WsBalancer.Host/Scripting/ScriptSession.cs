using System.Diagnostics;
using Jint.Native;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Metrics;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Scripting;

/// <summary>What a session gives its scripts: the way to answer the client, to send to the backend, to end it.</summary>
internal interface IScriptedSession
{
    ValueTask ReplyAsync(WsMessage message);

    ValueTask SendToBackendAsync(WsMessage message);

    void Close(int code, string? reason);
}

/// <summary>
/// The scripts of one session: a lazily created engine per script (keyed by its slot, so an edited script moves to its
/// new version on the next call, carrying its <c>state</c> as JSON), calls serialized (the two directions may run at
/// once), and a rolling budget of script time. Scripts run in file-name order client → backend and in reverse
/// backend → client.
/// </summary>
internal sealed class ScriptSession
{
    private static readonly IReadOnlyList<WsMessage> None = [];

    private readonly ScriptLibrary _library;
    private readonly ScriptSessionInfo _info;
    private readonly IScriptedSession _host;
    private readonly ScriptFaultLog _faults;
    private readonly BalancerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<ScriptSlot, ScriptRuntime> _runtimes = [];
    private Dictionary<ScriptSlot, string>? _released; // the state of engines let go while idle, by slot
    private long _budgetWindowStart;
    private long _budgetUsedTicks;
    private bool _budgetReported;
    private bool _closed;

    public ScriptSession(ScriptLibrary library, ScriptSessionInfo info, IScriptedSession host, ScriptFaultLog faults, BalancerMetrics metrics, TimeProvider time, ILogger logger)
    {
        _library = library;
        _info = info;
        _host = host;
        _faults = faults;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>True when no script could apply: the common case costs one check per message.</summary>
    public bool IsIdle => _library.Slots.Count == 0 && _runtimes.Count == 0;

    public ValueTask<IReadOnlyList<WsMessage>?> BeforeTransmitAsync(WsMessage message) =>
        _library.Slots.Count == 0 ? ValueTask.FromResult<IReadOnlyList<WsMessage>?>(null) : RunMessageAsync(message, toBackend: true);

    public ValueTask<IReadOnlyList<WsMessage>?> AfterReceiveAsync(WsMessage message) =>
        _library.Slots.Count == 0 ? ValueTask.FromResult<IReadOnlyList<WsMessage>?>(null) : RunMessageAsync(message, toBackend: false);

    public async Task OnOpenAsync()
    {
        if (_library.Slots.Count > 0)
        {
            await RunLifecycleAsync(ScriptHooks.OnOpen, "onOpen", [], collect: false);
        }
    }

    /// <summary>Runs every matching onFailover; returns the messages the new backend must get first, in script order.</summary>
    public async Task<IReadOnlyList<WsMessage>> OnFailoverAsync() =>
        _library.Slots.Count == 0 ? None : await RunLifecycleAsync(ScriptHooks.OnFailover, "onFailover", [], collect: true);

    /// <summary>Runs every onClose, then lets every engine go. Later calls do nothing.</summary>
    public async Task CloseAsync(int code, string reason)
    {
        if (_runtimes.Count > 0 || _library.Slots.Count > 0)
        {
            await RunLifecycleAsync(ScriptHooks.OnClose, "onClose", [ScriptRuntime.Number(code), ScriptRuntime.Text(reason)], collect: false);
        }

        await _gate.WaitAsync();
        try
        {
            _closed = true;
            foreach (var runtime in _runtimes.Values)
            {
                runtime.Dispose();
            }

            _runtimes.Clear();
            _released = null;
            _library.HoldsNoEngines(this);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Lets go of the engines not called for <paramref name="idleFor"/> that can go without losing anything (see
    /// <see cref="ScriptRuntime.ReleasableState"/>), keeping their state for the next call. Skips the session when a
    /// call holds it. Returns how many were released.
    /// </summary>
    public int ReleaseIdleEngines(TimeSpan idleFor)
    {
        if (!_gate.Wait(0))
        {
            return 0; // busy, so not idle
        }

        try
        {
            if (_closed)
            {
                return 0;
            }

            var now = _time.GetTimestamp();
            List<ScriptSlot>? idle = null;
            foreach (var (slot, runtime) in _runtimes)
            {
                if (_time.GetElapsedTime(runtime.LastUsed, now) >= idleFor)
                {
                    (idle ??= []).Add(slot);
                }
            }

            var released = 0;
            foreach (var slot in idle ?? [])
            {
                var runtime = _runtimes[slot];
                if (runtime.ReleasableState() is not { } state)
                {
                    runtime.LastUsed = now; // holds more than its state: asked again after another idle period
                    continue;
                }

                runtime.Dispose();
                _runtimes.Remove(slot);
                (_released ??= [])[slot] = state;
                released++;
            }

            if (_runtimes.Count == 0)
            {
                _library.HoldsNoEngines(this);
            }

            return released;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs the message through every matching script of that direction. Null: unchanged (the caller keeps its own
    /// message, no allocation); otherwise the messages to pass on, possibly none.
    /// </summary>
    private async ValueTask<IReadOnlyList<WsMessage>?> RunMessageAsync(WsMessage message, bool toBackend)
    {
        var hook = toBackend ? ScriptHooks.BeforeTransmit : ScriptHooks.AfterReceive;
        var name = toBackend ? "beforeTransmit" : "afterReceive";
        List<(ScriptSlot Slot, ScriptEffects Effects)>? effects = null;
        // The common case is one message in, one out: carried as `single` without a list until a script makes several.
        var single = message;
        List<WsMessage>? many = null;
        var changed = false;
        await _gate.WaitAsync();
        try
        {
            if (_closed)
            {
                return null;
            }

            var slots = _library.Slots;
            for (var n = 0; n < slots.Count; n++)
            {
                var slot = slots[toBackend ? n : slots.Count - 1 - n];
                var file = slot.Current;
                if (file is null || !file.Has(hook) || !file.Header.Matches(_info.Path))
                {
                    continue;
                }

                if (many is null)
                {
                    var (verdict, messages, callEffects) = Call(slot, file, name, single);
                    if (file.Header.Shadow)
                    {
                        continue; // shadow: counted as if applied, never applied
                    }

                    if (callEffects is not null)
                    {
                        (effects ??= []).Add((slot, callEffects));
                    }

                    if (verdict == ScriptVerdict.Pass)
                    {
                        continue;
                    }

                    changed = true;
                    if (verdict == ScriptVerdict.Replace && messages!.Count == 1)
                    {
                        single = messages[0];
                        continue;
                    }

                    many = verdict == ScriptVerdict.Replace ? [.. messages!] : [];
                    if (many.Count == 0)
                    {
                        break; // dropped: later scripts see nothing
                    }

                    continue;
                }

                var output = new List<WsMessage>(many.Count);
                foreach (var item in many)
                {
                    var (verdict, messages, callEffects) = Call(slot, file, name, item);
                    if (file.Header.Shadow)
                    {
                        output.Add(item);
                        continue;
                    }

                    if (callEffects is not null)
                    {
                        (effects ??= []).Add((slot, callEffects));
                    }

                    if (verdict == ScriptVerdict.Pass)
                    {
                        output.Add(item);
                    }
                    else if (verdict == ScriptVerdict.Replace)
                    {
                        output.AddRange(messages!);
                    }
                }

                many = output;
                if (many.Count == 0)
                {
                    break;
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        if (effects is not null)
        {
            // Effects are carried out outside the lock: a slow client must not hold up the other direction's scripts.
            await ApplyAsync(effects);
        }

        return !changed ? null : many ?? [single];
    }

    private async Task<IReadOnlyList<WsMessage>> RunLifecycleAsync(ScriptHooks hook, string name, JsValue[] args, bool collect)
    {
        var effects = new List<(ScriptSlot Slot, ScriptEffects Effects)>();
        var first = collect ? new List<WsMessage>() : null;
        await _gate.WaitAsync();
        try
        {
            if (_closed)
            {
                return None;
            }

            foreach (var slot in _library.Slots)
            {
                if (slot.Current is not { } file || !file.Has(hook) || !file.Header.Matches(_info.Path) || file.Header.Shadow)
                {
                    continue;
                }

                if (Runtime(slot, file, name) is not { } runtime)
                {
                    continue;
                }

                var started = Stopwatch.GetTimestamp();
                var call = runtime.CallLifecycleHook(name, _info, args);
                Account(slot, runtime, started);
                if (call.Verdict == ScriptVerdict.Error)
                {
                    Failed(slot, runtime, name, call.Fault!);
                    continue;
                }

                var requested = runtime.Effects;
                if (collect)
                {
                    // onFailover: what it sends and what it returns both go to the new backend first, in that order.
                    first!.AddRange(requested.Sends ?? []);
                    first.AddRange(call.Messages ?? []);
                    if (requested.Replies is not null || requested.Close is not null)
                    {
                        effects.Add((slot, Without(requested, sends: true)));
                    }
                }
                else if (!requested.IsEmpty && hook != ScriptHooks.OnClose)
                {
                    effects.Add((slot, Copy(requested)));
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        await ApplyAsync(effects);
        return first ?? None;
    }

    /// <summary>One call, with its accounting; the verdict, its messages and the effects to carry out (null when none).</summary>
    private (ScriptVerdict Verdict, IReadOnlyList<WsMessage>? Messages, ScriptEffects? Effects) Call(ScriptSlot slot, ScriptFile file, string hook, WsMessage message)
    {
        if (slot.Disabled)
        {
            return (ScriptVerdict.Pass, null, null);
        }

        if (slot.Quarantined)
        {
            // Switched off for new calls: the script's on-error decides what its messages become.
            return OnError(file, null);
        }

        if (!WithinBudget())
        {
            // Fails closed (the script's on-error), counted and reported: a client must not slip past a filter by
            // making it slow, nor lose messages without a trace.
            var fault = new ScriptFault(ScriptFaultKind.Budget, $"session {_info.Id} used its script budget", slot.Name);
            _faults.Report(slot, hook, fault);
            slot.Stats.Failed(limitBreak: false);
            Series(slot).Failed("budget");
            return OnError(file, null);
        }

        if (Runtime(slot, file, hook) is not { } runtime)
        {
            return OnError(file, null);
        }

        var started = Stopwatch.GetTimestamp();
        var call = runtime.CallMessageHook(hook, message, _info);
        Account(slot, runtime, started);
        if (call.Verdict == ScriptVerdict.Error)
        {
            Failed(slot, runtime, hook, call.Fault!);
            return OnError(file, null);
        }

        var requested = runtime.Effects;
        var stats = slot.Stats;
        var series = Series(slot);
        if (call.Verdict == ScriptVerdict.Drop)
        {
            stats.Dropped();
            series.Outcome("drop");
        }
        else if (call.Verdict == ScriptVerdict.Replace)
        {
            stats.Modified();
            series.Outcome("modify");
        }

        if (requested.Replies is { Count: > 0 } replies)
        {
            for (var i = 0; i < replies.Count; i++)
            {
                stats.Replied();
                series.Outcome("reply");
            }
        }

        return (call.Verdict, call.Messages, requested.IsEmpty ? null : Copy(requested));
    }

    private static (ScriptVerdict, IReadOnlyList<WsMessage>?, ScriptEffects?) OnError(ScriptFile file, ScriptEffects? effects) => file.Header.OnError switch
    {
        ScriptErrorAction.Pass => (ScriptVerdict.Pass, null, effects),
        ScriptErrorAction.Close => (ScriptVerdict.Drop, null, CloseEffect()),
        _ => (ScriptVerdict.Drop, null, effects),
    };

    private static ScriptEffects CloseEffect()
    {
        var effects = new ScriptEffects();
        effects.RequestClose(1011, "script error");
        return effects;
    }

    /// <summary>The session's engine for the slot's current version: created on first use, renewed after an edit.</summary>
    private ScriptRuntime? Runtime(ScriptSlot slot, ScriptFile file, string hook)
    {
        string? carried = null;
        if (_runtimes.TryGetValue(slot, out var runtime))
        {
            if (ReferenceEquals(runtime.File, file))
            {
                return runtime;
            }

            carried = runtime.ExportState();
            runtime.Dispose();
            _runtimes.Remove(slot);
        }
        else if (_released is not null && _released.Remove(slot, out var kept))
        {
            carried = kept;
        }

        // Not counted against the session's budget: creating an engine is the balancer's cost (and, in a fresh process
        // or on a busy machine, mostly its compiler's), not time the script chose to spend.
        var (created, fault) = ScriptRuntime.Create(file, _info, carried, slot.Console);
        if (created is null)
        {
            _faults.Report(slot, hook, fault!);
            slot.Stats.Failed(fault!.IsLimitBreak);
            Series(slot).Failed(fault.IsLimitBreak ? "limit" : "error");
            if (fault.IsLimitBreak)
            {
                _library.LimitBroken(slot);
            }

            return null;
        }

        created.LastUsed = _time.GetTimestamp();
        _runtimes[slot] = created;
        if (_runtimes.Count == 1)
        {
            _library.HoldsEngines(this);
        }

        return created;
    }

    private void Failed(ScriptSlot slot, ScriptRuntime runtime, string hook, ScriptFault fault)
    {
        _faults.Report(slot, hook, fault);
        slot.Stats.Failed(fault.IsLimitBreak);
        Series(slot).Failed(fault.IsLimitBreak ? "limit" : "error");
        if (fault.IsLimitBreak)
        {
            // An engine stopped mid-statement may hold half-built state: the next call starts from a fresh one.
            runtime.Dispose();
            _runtimes.Remove(slot);
            _library.LimitBroken(slot);
        }
    }

    // Resolved once per script (the slot outlives its versions), not looked up on every call.
    private ScriptMetrics.Series Series(ScriptSlot slot) => slot.Series ??= _metrics.Script(slot.Name);

    private void Account(ScriptSlot slot, ScriptRuntime runtime, long started)
    {
        runtime.LastUsed = _time.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(started);
        var micros = (long)elapsed.TotalMicroseconds;
        slot.Stats.Call(micros);
        Series(slot).Call(elapsed.TotalSeconds);
        _budgetUsedTicks += elapsed.Ticks;
    }

    /// <summary>Script time of this session within the rolling window: past the budget, scripts are skipped until it moves on.</summary>
    private bool WithinBudget()
    {
        var now = _time.GetTimestamp();
        var settings = _library.Settings;
        if (_budgetWindowStart == 0 || _time.GetElapsedTime(_budgetWindowStart, now) >= settings.SessionBudgetWindow)
        {
            _budgetWindowStart = now;
            _budgetUsedTicks = 0;
            _budgetReported = false;
        }

        if (_budgetUsedTicks <= settings.SessionBudget.Ticks)
        {
            return true;
        }

        if (!_budgetReported)
        {
            _budgetReported = true;
            ScriptingLog.BudgetExhausted(_logger, _info.Id, settings.SessionBudget.TotalMilliseconds, settings.SessionBudgetWindow.TotalSeconds);
        }

        return false;
    }

    private async Task ApplyAsync(List<(ScriptSlot Slot, ScriptEffects Effects)> effects)
    {
        foreach (var (_, requested) in effects)
        {
            foreach (var reply in requested.Replies ?? [])
            {
                await _host.ReplyAsync(reply);
            }

            foreach (var send in requested.Sends ?? [])
            {
                await _host.SendToBackendAsync(send);
            }

            if (requested.Close is { } close)
            {
                _host.Close(close.Code, close.Reason);
            }
        }
    }

    private static ScriptEffects Copy(ScriptEffects source) => Without(source, sends: false);

    private static ScriptEffects Without(ScriptEffects source, bool sends)
    {
        var copy = new ScriptEffects();
        foreach (var reply in source.Replies ?? [])
        {
            copy.Reply(reply);
        }

        if (!sends)
        {
            foreach (var send in source.Sends ?? [])
            {
                copy.Send(send);
            }
        }

        if (source.Close is { } close)
        {
            copy.RequestClose(close.Code, close.Reason);
        }

        return copy;
    }
}

using System.Diagnostics;
using Acornima.Ast;
using Jint;
using Jint.Runtime;
using Jint.Runtime.Modules;

namespace WsBalancer.Host.Scripting;

/// <summary>
/// Builds the Jint engines that run script valves: every limit of <see cref="ScriptLimits"/> set, CLR interop off, and
/// the built-ins that could stall the thread or allocate past the memory limit guarded or removed (<see cref="JintGuards"/>).
/// </summary>
/// <remarks>
/// An engine is not thread-safe: make one per session per script and drive it from one thread at a time. A script is
/// parsed once with <see cref="PrepareScript"/> and the result is shared by all the engines that run it.
/// <para>
/// Every entry into the engine (<c>Execute</c>, <c>Invoke</c>, <c>Call</c>) is bounded by the limits on its own, because
/// Jint re-arms its constraints at each top-level entry. A caller that wants one host operation (one message through
/// <c>beforeTransmit</c>, say) bounded as a whole, and cancellable by its own token, brackets it with the engine's
/// <see cref="ScriptCallBudget"/>:
/// <code>
/// var budget = ScriptCallBudget.Of(engine);
/// using (budget.Begin(cancellationToken))
/// {
///     result = engine.Invoke("beforeTransmit", message, session);
/// }
/// </code>
/// </para>
/// <para>
/// Two things the engine cannot bound for its caller. The first calls of a process run cold: the first regular
/// expression, JSON or typed array call JIT-compiles Jint's code and measured 70-550 ms on a loaded machine, past a
/// 50 ms limit, so the very first messages after start may fault with Timeout or Regex. And the limits are per call:
/// what a script keeps in its globals between calls is not measured (Jint has no retained-size API), so a session that
/// must not grow needs its own bound, such as recycling the engine after a number of calls.
/// </para>
/// </remarks>
internal static class ScriptEngineFactory
{
    /// <summary>Creates an engine whose every call is bounded by <paramref name="limits"/> and observes <paramref name="callToken"/>.</summary>
    /// <param name="limits">The limits; each must be a real limit (Jint reads the "maximum" values as "no limit").</param>
    /// <param name="callToken">
    /// Observed by every call for the engine's whole life, typically the session's token: cancelling it fails the call in
    /// progress (at its next constraint check) and every later <see cref="ScriptCallBudget.Begin"/>, with an
    /// <see cref="OperationCanceledException"/>. A per-call token goes to <see cref="ScriptCallBudget.Begin"/> instead.
    /// </param>
    public static Engine Create(ScriptLimits limits, CancellationToken callToken)
    {
        Validate(limits);
        var budget = new ScriptCallBudget(limits, callToken);
        var engine = new Engine((engine, options) =>
        {
            // Never AllowClr(): interop stays off, so System, importNamespace and friends do not exist.
            options.Strict()
                .AllowClrWrite(false)
                .MaxStatements(limits.MaxStatements)
                .LimitMemory(limits.MaxMemoryBytes)
                .LimitRecursion(limits.MaxRecursionDepth)
                .RegexTimeoutInterval(limits.RegexTimeout)
                .DisableStringCompilation()
                .MaxArraySize(JintGuards.MaxElements(limits))
                // The time limit is the budget's, not Jint's TimeoutInterval: it tells a slow script from a thread that
                // was not running (a busy machine, a collection), and costs no timer per call.
                .Constraint(budget);

            // LimitRecursion counts script frames only; recursion through getters, coercions, proxies or built-ins
            // reaches the native stack limit first, and without the guard that ends the process.
            options.Constraints.StackOverflowGuard = true;

            // Atomics is removed from the global object as well; this makes any path to Atomics.wait throw instead of
            // blocking the thread.
            options.AgentCanSuspend = false;

            // The default loader throws InvalidOperationException, which would reach the host as if it were a host bug.
            options.Modules.ModuleLoader = new NoModules(engine);
        });

        JintGuards.Install(engine, limits, budget);
        return engine;
    }

    /// <summary>
    /// Parses a script once for many engines: strict, regular expression literals bounded by
    /// <see cref="ScriptLimits.RegexTimeout"/>, and the syntax the sandbox cannot bound refused.
    /// </summary>
    /// <param name="code">The script's source.</param>
    /// <param name="name">The script's name, reported in <see cref="ScriptFault.Source"/> and in JavaScript stack traces.</param>
    /// <param name="limits">The limits the script will run under.</param>
    /// <exception cref="ScriptPreparationException">The script does not parse, or uses a BigInt literal or <c>import()</c>.</exception>
    /// <remarks>
    /// BigInt is refused because its arithmetic and conversions are single .NET calls that no limit interrupts: measured
    /// on Jint 4.18, <c>String(3n ** 600000n)</c> takes 3 s and <c>(3n ** 600000n).toString(2)</c> 220 s and 54 GB of
    /// allocations, while a call is allowed 50 ms. The engine also removes every built-in that produces a BigInt, so a
    /// script has no way to obtain one. <c>import()</c> is refused because modules are not part of the script API.
    /// </remarks>
    public static Prepared<Script> PrepareScript(string code, string name, ScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Validate(limits);

        var options = new ScriptPreparationOptions
        {
            // Literals are compiled here, not by the engine, so without this they would keep Jint's 10 s default.
            ParsingOptions = new ScriptParsingOptions { RegexTimeout = limits.RegexTimeout },
        };
        var prepared = Engine.PrepareScript(code, source: name, strict: true, options);

        foreach (var node in prepared.Program!.DescendantNodesAndSelf())
        {
            var refused = node switch
            {
                BigIntLiteral => "BigInt literals are not available to scripts",
                ImportExpression => "import() is not available to scripts",
                _ => null,
            };
            if (refused is not null)
            {
                throw new ScriptPreparationException($"Could not prepare script: {refused} ({name}:{node.Location.Start.Line}:{node.Location.Start.Column}).", innerException: null);
            }
        }

        return prepared;
    }

    // A sentinel value would not set a huge limit, it would silently remove the limit (ConstraintsOptionsExtensions).
    private static void Validate(ScriptLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        RequireFinite(limits.Timeout, nameof(ScriptLimits.Timeout));
        RequireFinite(limits.RegexTimeout, nameof(ScriptLimits.RegexTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxStatements, 1, nameof(ScriptLimits.MaxStatements));
        ArgumentOutOfRangeException.ThrowIfEqual(limits.MaxStatements, int.MaxValue, nameof(ScriptLimits.MaxStatements));
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxMemoryBytes, 1, nameof(ScriptLimits.MaxMemoryBytes));
        ArgumentOutOfRangeException.ThrowIfEqual(limits.MaxMemoryBytes, long.MaxValue, nameof(ScriptLimits.MaxMemoryBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxRecursionDepth, 1, nameof(ScriptLimits.MaxRecursionDepth));
    }

    private static void RequireFinite(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value >= TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(name, value, "A script limit must be a positive duration under a day: Jint reads a maximum as no limit at all.");
        }
    }

    private sealed class NoModules(Engine engine) : IModuleLoader
    {
        public ResolvedSpecifier Resolve(string? referencingModuleLocation, ModuleRequest moduleRequest) => throw Refuse();

        public Jint.Runtime.Modules.Module LoadModule(Engine engine, ResolvedSpecifier resolved) => throw Refuse();

        // A JavaScript TypeError, so import() rejects inside the script like any other failed import.
        private JavaScriptException Refuse() => new(engine.Intrinsics.TypeError, "modules are not available to scripts");
    }
}

/// <summary>
/// The per-call part of an engine's limits: a cancellation token and a time budget that cover one host operation,
/// however many entries into the engine it makes, plus the allocation baseline the <see cref="JintGuards"/> measure
/// against. One instance per engine, registered by <see cref="ScriptEngineFactory.Create"/>.
/// </summary>
/// <remarks>
/// Same thread discipline as the engine: <see cref="Begin"/>, the calls it covers and <see cref="End"/> run on the thread
/// driving the engine. Outside a bracket only the engine's own token is observed.
/// </remarks>
internal sealed class ScriptCallBudget : Constraint
{
    /// <summary>How many times its time limit a call may last on the wall clock while its thread was not running it.</summary>
    public const int WallClockAllowance = 4;

    private readonly long _timeoutTicks;
    private readonly long _timeoutNanoseconds;
    private readonly CancellationToken _engineToken;
    private CancellationToken _callToken;
    private long _deadline; // Stopwatch timestamp; 0 while no bracket is open
    private long _entryDeadline; // Stopwatch timestamp of the current entry's limit
    private long _wallLimit; // Stopwatch timestamp past which the call ends whatever its CPU time
    private long _cpuAtLastExpiry = -1; // thread CPU nanoseconds when a deadline last passed in this call
    private long _allocatedAtEntry;
    private int _entryThread;

    internal ScriptCallBudget(ScriptLimits limits, CancellationToken engineToken)
    {
        _timeoutTicks = (long) (limits.Timeout.Ticks * ((double) Stopwatch.Frequency / TimeSpan.TicksPerSecond));
        _timeoutNanoseconds = limits.Timeout.Ticks * 100;
        _engineToken = engineToken;
        MaxMemoryBytes = limits.MaxMemoryBytes;
    }

    /// <summary>The call's memory limit, <see cref="ScriptLimits.MaxMemoryBytes"/>.</summary>
    public long MaxMemoryBytes { get; }

    /// <summary>
    /// Bytes the current thread allocated since the engine was last entered: what Jint's own memory limit measures,
    /// so a guard can refuse an allocation that would take the call past the limit before it happens. Zero when the
    /// call resumed on another thread, where the counter means nothing (Jint's limit skips that case too).
    /// </summary>
    public long AllocatedInCall =>
        Environment.CurrentManagedThreadId == _entryThread ? GC.GetAllocatedBytesForCurrentThread() - _allocatedAtEntry : 0;

    /// <summary>Reads a clock and two tokens only, so Jint may check it less often than every statement.</summary>
    public override bool IsAmortizable => true;

    /// <summary>The budget of an engine made by <see cref="ScriptEngineFactory.Create"/>.</summary>
    public static ScriptCallBudget Of(Engine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return engine.Constraints.Find<ScriptCallBudget>()
            ?? throw new ArgumentException("The engine was not made by ScriptEngineFactory.", nameof(engine));
    }

    /// <summary>
    /// Opens a call: until <see cref="End"/> (or disposing the result), everything the engine runs shares one
    /// <see cref="ScriptLimits.Timeout"/> and observes <paramref name="cancellationToken"/> as well as the engine's token.
    /// </summary>
    /// <exception cref="OperationCanceledException">A token is already cancelled: the call should not start.</exception>
    /// <remarks>
    /// Inside the call the tokens are observed where Jint checks its constraints (at least every 64 statements, and in
    /// every guarded built-in), so a call that completes in fewer statements than that completes.
    /// </remarks>
    public CallScope Begin(CancellationToken cancellationToken)
    {
        _engineToken.ThrowIfCancellationRequested();
        cancellationToken.ThrowIfCancellationRequested();
        _callToken = cancellationToken;
        _cpuAtLastExpiry = ThreadCpuTime.Nanoseconds();
        var deadline = Stopwatch.GetTimestamp() + _timeoutTicks;
        _deadline = deadline == 0 ? 1 : deadline;
        _wallLimit = deadline + ((WallClockAllowance - 1) * _timeoutTicks);
        return new CallScope(this);
    }

    /// <summary>Closes the call opened by <see cref="Begin"/>; safe to call twice, and drops the call's token.</summary>
    public void End()
    {
        _deadline = 0;
        _callToken = default;
    }

    /// <summary>Fails the call with <see cref="OperationCanceledException"/> or <see cref="TimeoutException"/>.</summary>
    public override void Check()
    {
        // A real OperationCanceledException carrying the token (not Jint's ExecutionCanceledException, a JintException),
        // so the host can tell cancellation it asked for from a script failure.
        _engineToken.ThrowIfCancellationRequested();
        _callToken.ThrowIfCancellationRequested();

        var bracket = _deadline != 0;
        var deadline = bracket ? _deadline : _entryDeadline;
        var now = Stopwatch.GetTimestamp();
        if (deadline != 0 && now >= deadline && (now >= _wallLimit || !Extended(now, bracket)))
        {
            throw new TimeoutException("The script call ran past its time budget.");
        }
    }

    /// <summary>
    /// A deadline passed: true (and a new deadline one limit away) when the thread spent less than half of the last
    /// limit's span running, so the time went to other threads or a collection, not to the script. The thread's CPU
    /// time costs a system call, so an entry does not read it when it starts: its first expiry only takes the reading
    /// and grants one more span, and the span after it decides (a bracket reads it when it opens). A busy machine
    /// must not make a filter break its limits (and be quarantined for every session); a script that keeps the CPU
    /// is stopped after at most twice its limit of CPU time, and any call after <see cref="WallClockAllowance"/> times
    /// it on the wall clock (the engine's own time limit).
    /// </summary>
    private bool Extended(long now, bool bracket)
    {
        var cpu = ThreadCpuTime.Nanoseconds();
        if (cpu < 0 || Environment.CurrentManagedThreadId != _entryThread)
        {
            return false;
        }

        var previous = _cpuAtLastExpiry;
        _cpuAtLastExpiry = cpu;
        if (previous >= 0 && cpu - previous >= _timeoutNanoseconds / 2)
        {
            return false;
        }

        var next = now + _timeoutTicks;
        if (bracket)
        {
            _deadline = next;
        }
        else
        {
            _entryDeadline = next;
        }

        return true;
    }

    /// <summary>Called by Jint at every top-level entry and exit: restarts the allocation baseline.</summary>
    public override void Reset()
    {
        _entryThread = Environment.CurrentManagedThreadId;
        _allocatedAtEntry = GC.GetAllocatedBytesForCurrentThread();
        var deadline = Stopwatch.GetTimestamp() + _timeoutTicks;
        _entryDeadline = deadline == 0 ? 1 : deadline;
        if (_deadline == 0)
        {
            _cpuAtLastExpiry = -1; // inside a bracket, the reading taken when it opened stands
            _wallLimit = deadline + ((WallClockAllowance - 1) * _timeoutTicks);
        }
    }

    /// <summary>Ends the call when disposed: <c>using (budget.Begin(token)) { … }</c>.</summary>
    public readonly struct CallScope : IDisposable
    {
        private readonly ScriptCallBudget? _budget;

        internal CallScope(ScriptCallBudget budget) => _budget = budget;

        /// <summary>Same as <see cref="End"/>.</summary>
        public void Dispose() => _budget?.End();
    }
}

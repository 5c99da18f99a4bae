using Bogus;
using Jint;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Tests.Scripting;

/// <summary>
/// The sandbox's JSON.stringify must write exactly what Jint's serializer writes, for plain data (the fast path) and
/// for everything it leaves to the serializer.
/// </summary>
[Collection(nameof(ScriptTimingCollection))]
public sealed class JsonFastStringifyTests
{
    private const string Harness = "function written(f) { try { const t = f(); return typeof t + ':' + t; } catch (e) { return e.name + ': ' + e.message; } }";

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("{a: 1, b: 'x', c: true, d: null, e: [1, 'two', false, null]}")]
    [InlineData("{b: 1, 2: 2, 1: 3, a: 4, '-1': 5, '01': 6, 4294967295: 7}")]
    [InlineData("[-0, 0, NaN, Infinity, -Infinity, 1e21, 1e-7, 0.1 + 0.2, 123456789012345680000, 5e-324, -1.5]")]
    [InlineData("{u: undefined, f: function () {}, s: Symbol('x'), n: null, [Symbol('k')]: 1}")]
    [InlineData("[undefined, function () {}, Symbol('x'), , 1]")]
    [InlineData("'a\"b\\\\c\\b\\f\\n\\r\\t\\u0000\\u001f\\u007f'")]
    [InlineData("'\\ud83d\\ude00 \\ud800 x\\udc00 \\udc00\\ud800 é ☃'")]
    [InlineData("{'\\ud800': '\\n', '': ''}")]
    [InlineData("Object.defineProperty({a: 1}, 'hidden', {value: 2, enumerable: false})")]
    [InlineData("Object.defineProperty({a: 1}, 'g', {get() { return 5; }, enumerable: true})")]
    [InlineData("Object.defineProperty([1, 2], 0, {get() { return 5; }})")]
    [InlineData("{d: new Date(0), m: new Map([[1, 2]]), s: new Set([1]), r: /x/g}")]
    [InlineData("{n: new Number(3), s: new String('s'), b: new Boolean(false)}")]
    [InlineData("{toJSON() { return 'custom'; }}")]
    [InlineData("{a: {toJSON(k) { return 'inner:' + k; }}}")]
    [InlineData("new (class Point { constructor() { this.x = 1; } })()")]
    [InlineData("Object.create(null)")]
    [InlineData("Object.assign(Object.create({inherited: 1}), {own: 2})")]
    [InlineData("(() => { const a = [1]; a.extra = 2; return a; })()")]
    [InlineData("(() => { const o = {}; o.self = o; return o; })()")]
    [InlineData("(() => { const a = []; a.push(a); return a; })()")]
    [InlineData("(() => { let v = []; for (let i = 0; i < 100; i++) v = [v]; return v; })()")]
    [InlineData("(() => { let v = {}; for (let i = 0; i < 63; i++) v = {v}; return v; })()")]
    [InlineData("new Proxy({a: 1}, {})")]
    [InlineData("JSON.rawJSON('12345678901234567890')")]
    [InlineData("undefined")]
    [InlineData("function () {}")]
    [InlineData("Symbol('top')")]
    [InlineData("'plain'")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("Object.freeze({a: [1, {b: 2}]})")]
    public void Stringify_EdgeCase_SameAsJintsSerializer(string expression) => AssertSameAsJint(expression);

    [Theory]
    [InlineData("({a: [1, 'x', {b: null}], c: -0})", "{\"a\":[1,\"x\",{\"b\":null}],\"c\":0}")]
    [InlineData("({d: new Date(0)})", null)]
    [InlineData("({get g() { return 1; }})", null)]
    public void TryStringify_WritesOnlyPlainData(string expression, string? expected)
    {
        var engine = new Engine();

        var text = JsonFastStringify.TryStringify(engine, engine.Evaluate(expression), 1e6, chars => new InvalidOperationException());

        Assert.Equal(expected, text);
    }

    [Fact]
    public void Stringify_PrototypeWithToJson_LeftToTheSerializer()
    {
        AssertSameAsJint("(() => { Object.prototype.toJSON = function () { return 'proto'; }; return {a: [1]}; })()");
        AssertSameAsJint("(() => { Array.prototype.toJSON = function () { return 'array'; }; return {a: [1]}; })()");
    }

    [Fact]
    public void Stringify_GeneratedDocuments_SameAsJintsSerializer()
    {
        var faker = new Faker { Random = new Randomizer(6455) };
        for (var i = 0; i < 300; i++)
        {
            // Parsed first, so the document is data the fast path reads, then written again.
            AssertSameAsJint("JSON.parse(" + System.Text.Json.JsonSerializer.Serialize(JsonFastParseTests.Document(faker, 0)) + ")");
        }
    }

    [Fact]
    public void Stringify_HugeOutput_RefusedAtTheCallsMemoryLimit()
    {
        var limits = JintGuardsTests.Relaxed with { MaxMemoryBytes = 1024 * 1024 };
        var engine = ScriptEngineFactory.Create(limits, TestContext.Current.CancellationToken);
        engine.Evaluate("const s = 'x'.repeat(10000); const a = []; for (let i = 0; i < 200; i++) a.push(s); a");

        var exception = Assert.ThrowsAny<Exception>(() => engine.Evaluate("JSON.stringify(a)"));

        Assert.Equal(ScriptFaultKind.Memory, ScriptFault.Classify(exception)?.Kind);
    }

    private static void AssertSameAsJint(string expression)
    {
        var code = "written(() => JSON.stringify(" + expression + "))";
        var plain = new Engine(options => options.Strict());
        plain.Execute(Harness);
        var expected = plain.Evaluate(code).AsString();
        var guarded = ScriptEngineFactory.Create(JintGuardsTests.Relaxed, TestContext.Current.CancellationToken);
        guarded.Execute(Harness);

        var actual = guarded.Evaluate(code).AsString();

        Assert.Equal(expected, actual);
    }
}

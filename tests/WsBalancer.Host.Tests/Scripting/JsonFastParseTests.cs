using Bogus;
using Jint;
using Jint.Native;
using Jint.Runtime;
using WsBalancer.Host.Scripting;

namespace WsBalancer.Host.Tests.Scripting;

/// <summary>
/// The sandbox's JSON.parse must read every text exactly as Jint's own parser does: the same values, key order,
/// prototypes and negative zeros, the same SyntaxError for what is not JSON.
/// </summary>
[Collection(nameof(ScriptTimingCollection))]
public sealed class JsonFastParseTests
{
    // A description of a value precise enough to tell any two parses apart: types, key order, -0, prototypes.
    private const string Describe = """
        function describe(v) {
          if (v === null) return 'null';
          if (Array.isArray(v)) return (Object.getPrototypeOf(v) === Array.prototype ? '' : '!proto') + '[' + v.map(describe).join(',') + ']';
          if (typeof v === 'object') {
            const proto = Object.getPrototypeOf(v) === Object.prototype ? '' : '!proto';
            return proto + '{' + Reflect.ownKeys(v).map(k => JSON.stringify(k) + ':' + describe(v[k]) + (Object.getOwnPropertyDescriptor(v, k).enumerable ? '' : '!enum')).join(',') + '}';
          }
          if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
          if (typeof v === 'string') return 's' + JSON.stringify(v) + v.length;
          return typeof v + ':' + String(v);
        }
        function parsed(t) {
          try { return describe(JSON.parse(t)); } catch (e) { return e.name + ': ' + e.message; }
        }
        """;

    public static TheoryData<string> EdgeCases() =>
    [
        "{}", "[]", "0", "-0", "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "0.1", "1.7976931348623157e308",
        "\"\"", "\"a\\u0000b\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\udc00x\"", "\"é😀\"", "true", "false", "null",
        "{\"__proto__\":{\"x\":1}}", "{\"a\":1,\"a\":2}", "{\"b\":1,\"2\":2,\"1\":3,\"a\":4}", "{\"\":1}", "[1,[2,[3,[4]]]]",
        " \t\r\n{ \"a\" : [ 1 , 2 ] } \n", "{\"a\":1,}", "[1,]", "[1 2]", "{'a':1}", "NaN", "Infinity", "01", "1.", ".5", "+1",
        "\"\t\"", "\"\\x41\"", "/* c */ 1", "1 // c", "", " ", "{\"a\":1} {\"b\":2}", "tru", "nul", "[", "{", "\"abc",
        "\u00a01", "\ufeff1", "[" + new string('[', 70) + new string(']', 70) + "]",
        new string('[', 64) + new string(']', 64), new string('[', 65) + new string(']', 65), "1E3", "-1.5e-3", "[-0, 0, -0.0]",
        "{\"constructor\":1,\"toString\":2,\"hasOwnProperty\":3}", "{\"4294967295\":1,\"4294967294\":2,\"-1\":3,\"01\":4}",
    ];

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void Parse_EdgeCase_SameAsJintsParser(string text) => AssertSameAsJint(text);

    [Fact]
    public void Parse_GeneratedDocuments_SameAsJintsParser()
    {
        var faker = new Faker { Random = new Randomizer(6455) };
        for (var i = 0; i < 300; i++)
        {
            AssertSameAsJint(Document(faker, depth: 0));
        }
    }

    [Theory]
    [InlineData("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}", true)]
    [InlineData("\"\\ud800\"", false)]
    [InlineData("1e400", false)]
    [InlineData("[1,]", false)]
    [InlineData("1 2", false)]
    public void TryParse_TakesWhatItCanReadExactly(string text, bool taken)
    {
        var engine = new Engine();

        Assert.Equal(taken, JsonFastParse.TryParse(engine, text, out _));
    }

    // Built here, not passed as theory data: the test runner's serialization replaces a lone surrogate.
    [Fact]
    public void Parse_LoneSurrogateInTheText_LeftToJintAndKept()
    {
        var lone = '\ud800'.ToString();
        foreach (var text in (string[]) ["\"" + lone + "\"", "{\"" + lone + "\":1}", "[\"a" + lone + "b\"]"])
        {
            Assert.False(JsonFastParse.TryParse(new Engine(), text, out _));
            AssertSameAsJint(text);
        }
    }

    [Fact]
    public void Parse_WithReviver_SeesEveryValueAsJintsParserDoes()
    {
        const string call = "JSON.stringify(JSON.parse('{\"a\":[1,{\"b\":2}],\"c\":3}', (k, v) => typeof v === 'number' ? v * 10 : v))";

        Assert.Equal(new Engine().Evaluate(call).AsString(), Guarded().Evaluate(call).AsString());
    }

    [Fact]
    public void Parse_HugeArray_StopsAtTheCallsMemoryLimit()
    {
        var limits = JintGuardsTests.Relaxed with { MaxMemoryBytes = 1024 * 1024 };
        var engine = ScriptEngineFactory.Create(limits, TestContext.Current.CancellationToken);
        engine.SetValue("text", "[" + string.Join(",", Enumerable.Repeat("{\"a\":\"xxxxxxxx\"}", 200_000)) + "]");

        var exception = Assert.ThrowsAny<Exception>(() => engine.Evaluate("JSON.parse(text).length"));

        Assert.Equal(ScriptFaultKind.Memory, ScriptFault.Classify(exception)?.Kind);
    }

    private static Engine Guarded()
    {
        var engine = ScriptEngineFactory.Create(JintGuardsTests.Relaxed, TestContext.Current.CancellationToken);
        engine.Execute(Describe);
        return engine;
    }

    private static void AssertSameAsJint(string text)
    {
        var plain = new Engine(options => options.Strict());
        plain.Execute(Describe);
        var expected = plain.Invoke("parsed", text).AsString();

        var actual = Guarded().Invoke("parsed", text).AsString();

        Assert.Equal(expected, actual);
    }

    internal static string Document(Faker faker, int depth)
    {
        var kind = depth > 4 ? faker.Random.Int(2, 7) : faker.Random.Int(0, 7);
        return kind switch
        {
            0 => "{" + string.Join(",", Enumerable.Range(0, faker.Random.Int(0, 6)).Select(_ => Quote(faker.Random.Bool(0.2f) ? faker.Random.Int(0, 20).ToString(System.Globalization.CultureInfo.InvariantCulture) : faker.Lorem.Word()) + ":" + Document(faker, depth + 1))) + "}",
            1 => "[" + string.Join(",", Enumerable.Range(0, faker.Random.Int(0, 6)).Select(_ => Document(faker, depth + 1))) + "]",
            2 => Quote(faker.Random.Bool(0.3f) ? faker.Random.Utf16String(0, 12, excludeSurrogates: true) : faker.Lorem.Sentence()),
            3 => ((faker.Random.Double() * 2e6) - 1e6).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            4 => faker.Random.Long(-(1L << 53), 1L << 53).ToString(System.Globalization.CultureInfo.InvariantCulture),
            5 => faker.Random.Bool() ? "true" : "false",
            6 => "null",
            _ => (faker.Random.Double() * Math.Pow(10, faker.Random.Int(-300, 300))).ToString("E", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}

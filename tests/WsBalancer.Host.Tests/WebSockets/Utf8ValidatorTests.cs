using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Bogus;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.Host.Tests.WebSockets;

public sealed class Utf8ValidatorTests
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // The kinds of input RFC 3629 and Autobahn section 6 single out: boundaries of each sequence length,
    // noncharacters (valid), overlongs, surrogates, beyond U+10FFFF, stray and missing continuation bytes.
    [Theory]
    [InlineData("", true)]
    [InlineData("48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d3821", true)]
    [InlineData("cebae1bdb9cf83cebcceb5", true)]
    [InlineData("00", true)]
    [InlineData("7f", true)]
    [InlineData("c280", true)]
    [InlineData("dfbf", true)]
    [InlineData("e0a080", true)]
    [InlineData("ed9fbf", true)]     // U+D7FF, last before the surrogates
    [InlineData("ee8080", true)]     // U+E000, first after them
    [InlineData("efbfbd", true)]
    [InlineData("efbfbe", true)]     // U+FFFE: a noncharacter, but valid UTF-8
    [InlineData("efbfbf", true)]
    [InlineData("efbbbf", true)]     // BOM
    [InlineData("f0908080", true)]
    [InlineData("f48fbfbf", true)]   // U+10FFFF
    [InlineData("f3bfbfbf", true)]
    [InlineData("80", false)]
    [InlineData("bf", false)]
    [InlineData("80bf80bf", false)]
    [InlineData("c0", false)]
    [InlineData("c1bf", false)]      // overlong U+007F
    [InlineData("c080", false)]      // overlong NUL
    [InlineData("e08080", false)]
    [InlineData("e09fbf", false)]    // overlong U+07FF
    [InlineData("f0808080", false)]
    [InlineData("f08fbfbf", false)]  // overlong U+FFFF
    [InlineData("f880808080", false)]
    [InlineData("fc8080808080", false)]
    [InlineData("eda080", false)]    // U+D800
    [InlineData("edafbf", false)]
    [InlineData("edbfbf", false)]    // U+DFFF
    [InlineData("eda080edb080", false)] // a surrogate pair encoded as two code points
    [InlineData("f4908080", false)]  // U+110000
    [InlineData("f5808080", false)]
    [InlineData("fe", false)]
    [InlineData("ff", false)]
    [InlineData("fefeffff", false)]
    [InlineData("c220", false)]      // a lead byte followed by ASCII
    [InlineData("e0a0", false)]      // truncated at the end
    [InlineData("f09080", false)]
    [InlineData("cebae1bdb9cf83cebcceb5eda080656469746564", false)]
    [InlineData("cebae1bdb9cf83cebcceb5f4908080656469746564", false)]
    public void TryAdvance_KnownCases_MatchesTheirValidity(string hex, bool valid)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(valid, IsValidWhole(bytes));
        Assert.Equal(valid, IsValidBytewise(bytes));
        Assert.Equal(valid, IsStrictlyDecodable(bytes)); // the reference agrees with the expectation
    }

    [Fact]
    public void TryAdvance_GeneratedTextInRandomPieces_IsValidAndComplete()
    {
        var faker = new Faker { Random = new Randomizer(6455) };
        for (var i = 0; i < 300; i++)
        {
            var text = GeneratedText(faker);
            var bytes = Encoding.UTF8.GetBytes(text);
            var validator = new Utf8Validator();
            foreach (var piece in RandomPieces(faker, bytes))
            {
                Assert.True(validator.TryAdvance(piece.Span), text);
            }

            Assert.True(validator.IsComplete, text);
        }
    }

    [Fact]
    public void TryAdvance_MutatedBytesInRandomPieces_AgreesWithStrictDecoding()
    {
        var faker = new Faker { Random = new Randomizer(3629) };
        var invalid = 0;
        for (var i = 0; i < 2000; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(GeneratedText(faker));
            Mutate(faker, bytes);

            var expected = IsStrictlyDecodable(bytes);
            var validator = new Utf8Validator();
            var valid = true;
            foreach (var piece in RandomPieces(faker, bytes))
            {
                if (!validator.TryAdvance(piece.Span))
                {
                    valid = false;
                    break;
                }
            }

            Assert.True(expected == (valid && validator.IsComplete), Convert.ToHexString(bytes));
            invalid += expected ? 0 : 1;
        }

        Assert.InRange(invalid, 200, 1900); // both outcomes were exercised
    }

    [Fact]
    public void TryAdvance_ByteByByte_FailsExactlyOnTheFirstByteNoValidTextCanContinue()
    {
        var faker = new Faker { Random = new Randomizer(8001) };
        for (var i = 0; i < 600; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(faker.Random.Utf16String(1, 12, excludeSurrogates: false));
            Mutate(faker, bytes);

            var expectedFailure = FirstUnextendablePrefix(bytes);
            var validator = new Utf8Validator();
            var failedAt = -1;
            for (var at = 0; at < bytes.Length; at++)
            {
                if (!validator.TryAdvance(bytes.AsSpan(at, 1)))
                {
                    failedAt = at;
                    break;
                }
            }

            Assert.True(expectedFailure == failedAt, $"{Convert.ToHexString(bytes)}: expected {expectedFailure}, failed at {failedAt}");
        }
    }

    [Fact]
    public void TryAdvance_InvalidByteAfterLongAscii_FailsInTheVectorizedPath()
    {
        for (var position = 0; position < 200; position += 7)
        {
            var bytes = Encoding.ASCII.GetBytes(new string('a', 200));
            bytes[position] = 0xFF;

            var validator = new Utf8Validator();
            Assert.False(validator.TryAdvance(bytes));
        }
    }

    [Fact]
    public void TryAdvance_CodePointCutAtEveryPieceBoundary_CarriesIt()
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ab€😀ß", 20))); // 1-, 3-, 4- and 2-byte sequences
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            var validator = new Utf8Validator();
            Assert.True(validator.TryAdvance(bytes.AsSpan(0, cut)));
            Assert.True(validator.TryAdvance(bytes.AsSpan(cut)));
            Assert.True(validator.IsComplete);
        }
    }

    [Fact]
    public void IsComplete_MidCodePoint_IsFalseUntilItEnds()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.TryAdvance([0xF0, 0x9F]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.TryAdvance([0x98]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.TryAdvance([0x80]));
        Assert.True(validator.IsComplete);

        validator.TryAdvance([0xE2]);
        validator.Reset();
        Assert.True(validator.IsComplete);
        Assert.True(validator.TryAdvance("a"u8));
    }

    // Built once: a locale's Faker is slow to create.
    private static readonly Faker Russian = new("ru");
    private static readonly Faker Japanese = new("ja");

    private static string GeneratedText(Faker faker) => faker.Random.Int(0, 5) switch
    {
        0 => faker.Lorem.Paragraph(),
        1 => faker.Random.Utf16String(0, 400, excludeSurrogates: false),
        2 => Localized(Russian, faker.Random).Lorem.Sentence(),
        3 => Localized(Japanese, faker.Random).Name.FullName() + faker.Random.String2(40, "€😀ßñ中文\u0000\u007f\u0080\uffff"),
        4 => faker.Random.String2(faker.Random.Int(0, 300), "abc\u00e9\u0800\ud7ff\ue000\ufffd"),
        _ => faker.Internet.Email() + " " + faker.Random.Utf16String(0, 40),
    };

    private static Faker Localized(Faker locale, Randomizer random)
    {
        locale.Random = random; // the test's seeded sequence, so a failure reproduces
        return locale;
    }

    private static void Mutate(Faker faker, byte[] bytes)
    {
        if (bytes.Length == 0 || faker.Random.Bool(0.3f))
        {
            return;
        }

        var changes = faker.Random.Int(1, 3);
        for (var i = 0; i < changes; i++)
        {
            bytes[faker.Random.Int(0, bytes.Length - 1)] = faker.Random.ArrayElement(new byte[] { 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x90, 0x8F, faker.Random.Byte() });
        }
    }

    private static IEnumerable<ReadOnlyMemory<byte>> RandomPieces(Faker faker, byte[] bytes)
    {
        var at = 0;
        while (at < bytes.Length)
        {
            var length = Math.Min(bytes.Length - at, faker.Random.Bool() ? faker.Random.Int(1, 5) : faker.Random.Int(1, 200));
            yield return bytes.AsMemory(at, length);
            at += length;
        }
    }

    private static bool IsValidWhole(byte[] bytes)
    {
        var validator = new Utf8Validator();
        return validator.TryAdvance(bytes) && validator.IsComplete;
    }

    private static bool IsValidBytewise(byte[] bytes)
    {
        var validator = new Utf8Validator();
        foreach (var b in bytes)
        {
            if (!validator.TryAdvance([b]))
            {
                return false;
            }
        }

        return validator.IsComplete;
    }

    private static bool IsStrictlyDecodable(byte[] bytes)
    {
        try
        {
            Strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The index of the first byte after which the prefix is no longer the start of any valid UTF-8 (the runtime's streaming decoder decides); -1 if none.</summary>
    private static int FirstUnextendablePrefix(byte[] bytes)
    {
        var chars = new char[bytes.Length + 1];
        for (var length = 1; length <= bytes.Length; length++)
        {
            var status = Utf8.ToUtf16(bytes.AsSpan(0, length), chars, out _, out _, replaceInvalidSequences: false, isFinalBlock: false);
            if (status == OperationStatus.InvalidData)
            {
                return length - 1;
            }
        }

        return -1;
    }
}

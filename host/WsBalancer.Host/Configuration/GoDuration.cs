using System.Globalization;
using System.Text;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// Go's <c>time.Duration</c> text syntax, so that the ancestor's YAML files and environment variables
/// (<c>10s</c>, <c>1m30s</c>, <c>500ms</c>, <c>2h45m</c>, <c>1.5s</c>) keep working unchanged.
/// </summary>
internal static class GoDuration
{
    private const ulong Nanosecond = 1;
    private const ulong Microsecond = 1000 * Nanosecond;
    private const ulong Millisecond = 1000 * Microsecond;
    private const ulong Second = 1000 * Millisecond;
    private const ulong Minute = 60 * Second;
    private const ulong Hour = 60 * Minute;
    private const ulong NanosecondsPerTick = 100;

    // Go's limit: a Duration is an int64 count of nanoseconds.
    private const ulong MaxMagnitude = 1UL << 63;

    /// <summary>
    /// Parses like Go's <c>time.ParseDuration</c>: a signed sequence of decimal numbers with optional fraction and a unit
    /// (ns, us, µs, ms, s, m, h), or a bare <c>0</c>. Precision below 100 ns (one tick) is truncated.
    /// </summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var s = text.AsSpan();
        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        ulong total = 0;
        while (!s.IsEmpty)
        {
            if (!(s[0] == '.' || char.IsAsciiDigit(s[0])))
            {
                return false;
            }

            var wholeLength = LeadingDigits(s);
            if (!TryParseWhole(s[..wholeLength], out var whole))
            {
                return false;
            }

            s = s[wholeLength..];
            var hadWhole = wholeLength > 0;

            ulong fraction = 0;
            var scale = 1.0;
            var hadFraction = false;
            if (!s.IsEmpty && s[0] == '.')
            {
                s = s[1..];
                var fractionLength = LeadingDigits(s);
                hadFraction = fractionLength > 0;
                foreach (var digit in s[..fractionLength])
                {
                    // Like Go: digits past what a uint64 can hold only lose precision, never fail.
                    if (fraction <= (ulong.MaxValue - 9) / 10)
                    {
                        fraction = (fraction * 10) + (ulong)(digit - '0');
                        scale *= 10;
                    }
                }

                s = s[fractionLength..];
            }

            if (!hadWhole && !hadFraction)
            {
                return false;
            }

            var unitLength = 0;
            while (unitLength < s.Length && s[unitLength] != '.' && !char.IsAsciiDigit(s[unitLength]))
            {
                unitLength++;
            }

            if (unitLength == 0 || !TryGetUnit(s[..unitLength], out var unit))
            {
                return false;
            }

            s = s[unitLength..];
            if (whole > MaxMagnitude / unit)
            {
                return false;
            }

            var component = whole * unit;
            if (fraction > 0)
            {
                component += (ulong)(fraction * (unit / scale));
                if (component > MaxMagnitude)
                {
                    return false;
                }
            }

            total += component;
            if (total > MaxMagnitude)
            {
                return false;
            }
        }

        if (!negative && total == MaxMagnitude)
        {
            return false;
        }

        var ticks = (long)(total / NanosecondsPerTick);
        value = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>Formats like Go's <c>Duration.String()</c>: <c>0s</c>, <c>500ms</c>, <c>1.5s</c>, <c>1m30s</c>, <c>10m0s</c>, <c>2h45m0s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        // UInt128 because TimeSpan's range in nanoseconds exceeds 64 bits.
        var negative = value.Ticks < 0;
        var u = (UInt128)(negative ? -(Int128)value.Ticks : value.Ticks) * NanosecondsPerTick;
        var builder = new StringBuilder();
        if (negative)
        {
            builder.Append('-');
        }

        if (u == 0)
        {
            return "0s";
        }

        if (u < Second)
        {
            var (precision, unit) = u < Microsecond ? (0, "ns") : u < Millisecond ? (3, "µs") : (6, "ms");
            var (whole, fraction) = SplitFraction(u, precision);
            return builder.Append(whole.ToString(CultureInfo.InvariantCulture)).Append(fraction).Append(unit).ToString();
        }

        var (seconds, secondsFraction) = SplitFraction(u, 9);
        var hours = seconds / 3600;
        var minutes = seconds / 60 % 60;
        if (hours > 0)
        {
            builder.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            builder.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        return builder.Append((seconds % 60).ToString(CultureInfo.InvariantCulture)).Append(secondsFraction).Append('s').ToString();
    }

    // Go's fmtFrac: the integer part of v / 10^precision and its fraction as ".123" without trailing zeros (empty when zero).
    private static (UInt128 Whole, string Fraction) SplitFraction(UInt128 v, int precision)
    {
        var digits = new char[precision];
        var length = 0;
        for (var i = precision - 1; i >= 0; i--)
        {
            var digit = (int)(v % 10);
            v /= 10;
            digits[i] = (char)('0' + digit);
            if (length == 0 && digit != 0)
            {
                length = i + 1;
            }
        }

        return length == 0 ? (v, "") : (v, "." + new string(digits, 0, length));
    }

    private static int LeadingDigits(ReadOnlySpan<char> s)
    {
        var length = 0;
        while (length < s.Length && char.IsAsciiDigit(s[length]))
        {
            length++;
        }

        return length;
    }

    private static bool TryParseWhole(ReadOnlySpan<char> digits, out ulong whole)
    {
        whole = 0;
        foreach (var digit in digits)
        {
            if (whole > (MaxMagnitude - 9) / 10)
            {
                return false;
            }

            whole = (whole * 10) + (ulong)(digit - '0');
        }

        return true;
    }

    private static bool TryGetUnit(ReadOnlySpan<char> unit, out ulong nanoseconds)
    {
        nanoseconds = unit switch
        {
            "ns" => Nanosecond,
            "us" or "µs" or "μs" => Microsecond, // U+00B5 micro sign and U+03BC Greek mu, as Go accepts both
            "ms" => Millisecond,
            "s" => Second,
            "m" => Minute,
            "h" => Hour,
            _ => 0,
        };
        return nanoseconds != 0;
    }
}

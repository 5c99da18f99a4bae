using System.Globalization;

namespace WsBalancer.Plugins.SessionAudit;

/// <summary>
/// Durations in Go's <c>time.ParseDuration</c> syntax (<c>90m</c>, <c>1h30m</c>, <c>1.5h</c>), as the host's own settings
/// are written, plus <c>d</c> for days (24 h) because retention periods are counted in days.
/// </summary>
internal static class DurationText
{
    private static readonly (string Unit, long Ticks)[] Units =
    [
        ("ns", 0), ("us", TimeSpan.TicksPerMicrosecond), ("µs", TimeSpan.TicksPerMicrosecond), ("μs", TimeSpan.TicksPerMicrosecond),
        ("ms", TimeSpan.TicksPerMillisecond), ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour), ("d", TimeSpan.TicksPerDay),
    ];

    /// <summary>Parses a non-negative duration; a bare <c>0</c> is zero. Precision below one tick (100 ns) is truncated.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = (text ?? string.Empty).AsSpan().Trim();
        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        // decimal: 28 significant digits hold any TimeSpan in ticks exactly, and overflow is an exception, not a wrap.
        decimal ticks = 0;
        try
        {
            while (!s.IsEmpty)
            {
                var numberLength = 0;
                while (numberLength < s.Length && (char.IsAsciiDigit(s[numberLength]) || s[numberLength] == '.'))
                {
                    numberLength++;
                }

                var unitLength = 0;
                while (numberLength + unitLength < s.Length && !char.IsAsciiDigit(s[numberLength + unitLength]) && s[numberLength + unitLength] != '.')
                {
                    unitLength++;
                }

                if (numberLength == 0 || unitLength == 0
                    || !decimal.TryParse(s[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                    || !TryGetUnit(s.Slice(numberLength, unitLength), out var unitTicks, out var isNanoseconds))
                {
                    return false;
                }

                ticks += isNanoseconds ? number / 100 : number * unitTicks;
                s = s[(numberLength + unitLength)..];
            }

            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)decimal.Truncate(ticks));
        return true;
    }

    /// <summary>Formats whole days as <c>30d</c>, anything else in the largest unit that divides it (<c>90m</c>, <c>1500ms</c>).</summary>
    public static string Format(TimeSpan value)
    {
        foreach (var (unit, unitTicks) in new[] { ("d", TimeSpan.TicksPerDay), ("h", TimeSpan.TicksPerHour), ("m", TimeSpan.TicksPerMinute), ("s", TimeSpan.TicksPerSecond), ("ms", TimeSpan.TicksPerMillisecond) })
        {
            if (value.Ticks != 0 && value.Ticks % unitTicks == 0)
            {
                return (value.Ticks / unitTicks).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return value == TimeSpan.Zero ? "0s" : (value.Ticks * 100).ToString(CultureInfo.InvariantCulture) + "ns";
    }

    private static bool TryGetUnit(ReadOnlySpan<char> unit, out long ticks, out bool isNanoseconds)
    {
        foreach (var (name, unitTicks) in Units)
        {
            if (unit.SequenceEqual(name))
            {
                ticks = unitTicks;
                isNanoseconds = name == "ns";
                return true;
            }
        }

        ticks = 0;
        isNanoseconds = false;
        return false;
    }
}

using System.Globalization;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>Parses durations the way Go's <c>time.ParseDuration</c> writes them (<c>500ms</c>, <c>10s</c>, <c>1m30s</c>), as the ancestor's configuration did.</summary>
internal static class GoDuration
{
    /// <summary>
    /// Parses a sequence of decimal numbers, each with a unit (<c>ns</c>, <c>us</c>/<c>µs</c>, <c>ms</c>, <c>s</c>,
    /// <c>m</c>, <c>h</c>). Signs are refused: no setting here takes a negative duration. Below 100 ns is truncated.
    /// </summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        decimal ticks = 0;
        var position = 0;
        while (position < text.Length)
        {
            var numberStart = position;
            while (position < text.Length && (char.IsAsciiDigit(text[position]) || text[position] == '.'))
            {
                position++;
            }

            var unitStart = position;
            while (position < text.Length && !char.IsAsciiDigit(text[position]) && text[position] != '.')
            {
                position++;
            }

            var number = text.AsSpan(numberStart, unitStart - numberStart);
            if (number.IsEmpty
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
                || TicksPer(text.AsSpan(unitStart, position - unitStart)) is not { } unit)
            {
                return false;
            }

            ticks += value * unit;
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    private static decimal? TicksPer(ReadOnlySpan<char> unit) => unit switch
    {
        "ns" => 0.01m,
        "us" or "µs" or "μs" => 10m,
        "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond,
        "m" => TimeSpan.TicksPerMinute,
        "h" => TimeSpan.TicksPerHour,
        _ => null,
    };
}

using System.Globalization;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// A size in bytes: a plain integer (the ancestor's only form) or an integer with a unit,
/// <c>KiB</c>/<c>MiB</c>/<c>GiB</c> (powers of 1024) or <c>KB</c>/<c>MB</c>/<c>GB</c> (powers of 1000), optionally with a space.
/// </summary>
internal static class ByteSize
{
    private static readonly (string Suffix, long Multiplier)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("B", 1),
    ];

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.AsSpan().Trim();
        long multiplier = 1;
        foreach (var (suffix, unitBytes) in Units)
        {
            if (s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                s = s[..^suffix.Length].TrimEnd();
                multiplier = unitBytes;
                break;
            }
        }

        // NumberStyles.AllowLeadingSign so "-1" parses and is reported as out of range rather than as not a number.
        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var count))
        {
            return false;
        }

        try
        {
            bytes = checked(count * multiplier);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Shows a limit the way a user would write it: <c>16777216 (16MiB)</c>.</summary>
    public static string Describe(long bytes)
    {
        var plain = bytes.ToString(CultureInfo.InvariantCulture);
        foreach (var (suffix, unitBytes) in new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) })
        {
            if (bytes >= unitBytes && bytes % unitBytes == 0)
            {
                return $"{plain} ({(bytes / unitBytes).ToString(CultureInfo.InvariantCulture)}{suffix})";
            }
        }

        return plain;
    }
}

using System.Globalization;

namespace WsBalancer.Host.Configuration;

/// <summary>
/// <c>server.buffer-budget</c>: a size (<see cref="ByteSize"/>, at least 1 MiB) or a percentage of the memory the
/// process may use (1% to 90%), which is what the runtime reports as available to it: the machine's memory, or a
/// container's limit when one is set.
/// </summary>
internal static class BufferBudgetText
{
    /// <summary>A quarter of memory: room for the heap, the pipes' pools and the sockets' own buffers beside it.</summary>
    public const double DefaultFraction = 0.25;

    public const long MinBytes = 1L << 20;

    private const int MinPercent = 1;
    private const int MaxPercent = 90;

    /// <summary>Bytes the process may use, as the garbage collector sees it.</summary>
    public static long AvailableMemory => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    public static long OfMemory(double fraction) => Math.Max(MinBytes, (long)(AvailableMemory * fraction));

    public static bool TryParse(string text, out long bytes)
    {
        var s = text.AsSpan().Trim();
        if (s.EndsWith("%"))
        {
            bytes = 0;
            if (!int.TryParse(s[..^1].TrimEnd(), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent is < MinPercent or > MaxPercent)
            {
                return false;
            }

            bytes = OfMemory(percent / 100.0);
            return true;
        }

        return ByteSize.TryParse(text, out bytes) && bytes >= MinBytes;
    }

    public static string DescribeDefault() =>
        $"25% of memory ({ByteSize.Describe(OfMemory(DefaultFraction) / (1L << 20) * (1L << 20))} here)";
}

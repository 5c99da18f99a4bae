using System.Globalization;

namespace WsBalancer.Bench.Load;

/// <summary>
/// CPU time and resident memory of a set of processes and all their descendants (nginx's workers, for instance), read
/// from /proc. Processes that have gone away count as zero.
/// </summary>
internal sealed class ProcessProbe(IReadOnlyList<int> roots)
{
    // USER_HZ is 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100.0;

    public bool IsEmpty => roots.Count == 0;

    public double CpuSeconds()
    {
        long ticks = 0;
        foreach (var pid in Expand())
        {
            ticks += ReadCpuTicks(pid);
        }

        return ticks / TicksPerSecond;
    }

    public long RssKiB()
    {
        long total = 0;
        foreach (var pid in Expand())
        {
            total += ReadRssKiB(pid);
        }

        return total;
    }

    /// <summary>The root processes and all their descendants alive right now.</summary>
    public List<int> Expand()
    {
        var all = new List<int>();
        var pending = new Stack<int>(roots);
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            if (all.Contains(pid))
            {
                continue;
            }

            all.Add(pid);
            foreach (var child in Children(pid))
            {
                pending.Push(child);
            }
        }

        return all;
    }

    private static IEnumerable<int> Children(int pid)
    {
        var result = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children"));
                foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var child))
                    {
                        result.Add(child);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return result;
    }

    private static long ReadCpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name may hold spaces and parentheses; the fields after the last ')' are fixed.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime is field 14, stime field 15.
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static long ReadRssKiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var digits = line.AsSpan(6).Trim();
                    var space = digits.IndexOf(' ');
                    return long.Parse(space < 0 ? digits : digits[..space], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return 0;
    }
}

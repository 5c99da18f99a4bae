using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// <c>strace -c -f</c> attached to the target's processes (and their children: nginx's workers) for one stretch of
/// traffic: started when every thread is traced, stopped with SIGINT, after which strace detaches and writes its
/// per-call summary. strace stops the target twice per system call, so the target runs several times slower while
/// traced: what a traced stretch measures is how many calls the target makes, never how fast it is.
/// </summary>
internal sealed class SyscallTrace : IAsyncDisposable
{
    private const int SigInt = 2;

    private readonly Process _strace;
    private readonly string _output;

    private SyscallTrace(Process strace, string output, int processes)
    {
        _strace = strace;
        _output = output;
        Processes = processes;
    }

    public int Processes { get; }

    /// <summary>Threads of the target traced when the stretch began (strace follows those created later).</summary>
    public int Threads { get; private set; }

    /// <summary>Attaches to every process of <paramref name="target"/>; returns once each of their threads is traced.</summary>
    public static async Task<SyscallTrace> AttachAsync(ProcessProbe target, string strace, CancellationToken cancellationToken)
    {
        var pids = target.Expand();
        if (pids.Count == 0)
        {
            throw new ArgumentException("tracing system calls needs --target-pids");
        }

        var output = Path.Combine(Path.GetTempPath(), $"wsb-strace-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo(strace) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-c", "-f", "-qq", "-o", output })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var pid in pids)
        {
            start.ArgumentList.Add("-p");
            start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {strace}");
        // Drained so that a chatty strace never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var trace = new SyscallTrace(process, output, pids.Count);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            int threads;
            while (!AllTraced(pids, process.Id, out threads))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{strace} exited with {process.ExitCode} before attaching: {(await errors).Trim()}");
                }

                await Task.Delay(20, timeout.Token);
            }

            trace.Threads = threads;
            return trace;
        }
        catch
        {
            await trace.DisposeAsync();
            throw;
        }
    }

    /// <summary>Detaches (SIGINT: strace writes its summary and lets the target go) and reads the calls and errors per system call.</summary>
    public async Task<Dictionary<string, (long Calls, long Errors)>> StopAsync(CancellationToken cancellationToken)
    {
        if (kill(_strace.Id, SigInt) != 0)
        {
            throw new InvalidOperationException($"could not signal strace ({Marshal.GetLastPInvokeError()})");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await _strace.WaitForExitAsync(timeout.Token);
        return Parse(await File.ReadAllLinesAsync(_output, cancellationToken));
    }

    /// <summary>
    /// strace's <c>-c</c> table: <c>% time, seconds, usecs/call, calls, [errors], syscall</c> per line, the errors column
    /// empty when there were none; the dashed rules and the <c>total</c> line are skipped.
    /// </summary>
    internal static Dictionary<string, (long Calls, long Errors)> Parse(IEnumerable<string> lines)
    {
        var calls = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length is < 5 or > 6 || fields[^1] == "total"
                || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                continue;
            }

            var errors = fields.Length == 6 ? long.Parse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture) : 0;
            calls[fields[^1]] = (count, errors);
        }

        return calls;
    }

    /// <summary>
    /// Adds the traced calls to <paramref name="result"/>: every call's count, and per <paramref name="operations"/>
    /// (a message, a session) the groups the report shows.
    /// </summary>
    public void WriteTo(JsonObject result, Dictionary<string, (long Calls, long Errors)> calls, long operations)
    {
        result["tracedProcesses"] = Processes;
        result["tracedThreads"] = Threads;
        var all = new JsonObject();
        foreach (var (name, (count, errors)) in calls.OrderByDescending(c => c.Value.Calls))
        {
            all[name] = errors == 0 ? count : new JsonObject { ["calls"] = count, ["errors"] = errors };
        }

        result["calls"] = all;
        var per = new JsonObject();
        foreach (var (group, names) in SyscallGroups.All)
        {
            var sum = calls.Where(c => names.Contains(c.Key)).Sum(c => c.Value.Calls);
            per[group] = operations > 0 ? Math.Round((double)sum / operations, 3) : null;
        }

        // A non-blocking receive that finds nothing fails with EAGAIN: the cost of reading before the data is there.
        var receives = SyscallGroups.All.Single(g => g.Group == "receives").Names;
        var failed = calls.Where(c => receives.Contains(c.Key)).Sum(c => c.Value.Errors);
        per["receivesFailed"] = operations > 0 ? Math.Round((double)failed / operations, 3) : null;
        per["total"] = operations > 0 ? Math.Round((double)calls.Values.Sum(c => c.Calls) / operations, 3) : null;
        result["perOperation"] = per;
    }

    private static bool AllTraced(List<int> pids, int tracer, out int threads)
    {
        threads = 0;
        foreach (var pid in pids)
        {
            IEnumerable<string> tasks;
            try
            {
                tasks = Directory.EnumerateDirectories($"/proc/{pid}/task").ToList();
            }
            catch (IOException)
            {
                continue; // the process went away: nothing of it to trace
            }

            foreach (var task in tasks)
            {
                if (TracerOf(task) is int traced && traced != tracer)
                {
                    return false;
                }

                threads++;
            }
        }

        return true;
    }

    private static int? TracerOf(string task)
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(task, "status")))
            {
                if (line.StartsWith("TracerPid:", StringComparison.Ordinal))
                {
                    return int.Parse(line.AsSpan(10).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return null; // the thread ended meanwhile
    }

    public async ValueTask DisposeAsync()
    {
        if (!_strace.HasExited)
        {
            kill(_strace.Id, SigInt);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _strace.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _strace.Kill();
            }
        }

        _strace.Dispose();
        File.Delete(_output);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}

/// <summary>The system calls the report groups, by what they do on a proxy's message path.</summary>
internal static class SyscallGroups
{
    public static readonly (string Group, string[] Names)[] All =
    [
        ("sends", ["sendto", "sendmsg", "sendmmsg", "write", "writev"]),
        ("receives", ["recvfrom", "recvmsg", "recvmmsg", "read", "readv"]),
        ("epollWait", ["epoll_wait", "epoll_pwait", "epoll_pwait2"]),
        ("epollCtl", ["epoll_ctl"]),
        ("futex", ["futex"]),
    ];

    public static bool IsGrouped(string name) => All.Any(g => g.Names.Contains(name));
}

using System.Runtime.InteropServices;

namespace WsBalancer.Host.Scripting;

/// <summary>CPU time the calling thread has used, where the system tells it (Linux); read only when a call runs late.</summary>
internal static class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>Nanoseconds of CPU the current thread has used, or -1 when it cannot be read.</summary>
    public static long Nanoseconds()
    {
        if (!IsSupported)
        {
            return -1;
        }

        return ClockGetTime(ClockThreadCpuTimeId, out var time) == 0 ? (time.Seconds * 1_000_000_000) + time.Nanoseconds : -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // A blittable signature: no marshalling code, and no unsafe code in the assembly for a generated stub.
    [DllImport("libc", EntryPoint = "clock_gettime", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}

using System.Runtime.CompilerServices;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// Inline I/O (<c>server.inline-io</c>): socket completions run on the runtime's socket event threads instead of being
/// handed to the thread pool, and the frontend's connection pipes resume their readers on the same thread.
/// </summary>
/// <remarks>
/// <para>
/// Why: on the frame relay a message costs a few microseconds of our code, and the hand-off to a pool thread and back
/// (a wake-up and a context switch for each leg's read) cost more than that: a profile of the echo benchmark showed a
/// third of the proxy's CPU in the scheduler. Run inline, the thread that learns a client frame arrived parses it and
/// writes it to the backend socket, as an event-loop proxy's worker does; the runtime then starts one event thread
/// per core.
/// </para>
/// <para>
/// The price: code that blocks there stalls every connection of that event thread. The relay never blocks; code we do
/// not own (plugin valves, dialers, scripts) runs on the message path, which first moves to the thread pool
/// (<see cref="LeaveIoThread"/>). The runtime reads its switch once, when the first socket is made, so
/// <see cref="Enable"/> must run before that; the setting is process-wide.
/// </para>
/// </remarks>
internal static class InlineIo
{
    /// <summary>The runtime's switch for running socket completions on its event threads.</summary>
    public const string RuntimeSwitch = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether this process runs socket completions inline (the switch as the runtime read it).</summary>
    public static bool Active => Environment.GetEnvironmentVariable(RuntimeSwitch) == "1";

    /// <summary>
    /// Turns inline completions on for this process unless the environment already decided (an operator's
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> wins). Call before any socket exists.
    /// </summary>
    public static void Enable()
    {
        if (Environment.GetEnvironmentVariable(RuntimeSwitch) is null)
        {
            Environment.SetEnvironmentVariable(RuntimeSwitch, "1");
        }
    }

    /// <summary>
    /// Continues on a thread-pool thread when running on a socket event thread, and at once otherwise (no hand-off
    /// where there is nothing to protect: without inline I/O every socket continuation already runs on the pool).
    /// </summary>
    public static ThreadPoolHop LeaveIoThread() => default;

    /// <summary>The awaitable of <see cref="LeaveIoThread"/>: no allocation when no hop is needed.</summary>
    public readonly struct ThreadPoolHop : ICriticalNotifyCompletion
    {
        public ThreadPoolHop GetAwaiter() => this;

        public bool IsCompleted => Thread.CurrentThread.IsThreadPoolThread;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) =>
            ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) =>
            ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
    }
}

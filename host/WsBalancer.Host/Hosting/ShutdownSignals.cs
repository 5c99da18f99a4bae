using System.Runtime.InteropServices;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// SIGTERM and SIGINT (Ctrl+C) with the runtime's default termination cancelled, so the balancer decides the order of
/// its shutdown: the first signal asks for a drain, a second one ends the drain at once.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _forced = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    private ShutdownSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
        ];
    }

    /// <summary>Completes at the first signal.</summary>
    public Task Requested => _requested.Task;

    /// <summary>Cancelled at the second signal.</summary>
    public CancellationToken Forced => _forced.Token;

    public static ShutdownSignals Register() => new();

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _received) == 1)
        {
            _requested.TrySetResult();
        }
        else
        {
            // Asynchronously: the callbacks close sessions, and the runtime's signal thread must stay free.
            _ = _forced.CancelAsync();
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _forced.Dispose();
    }
}

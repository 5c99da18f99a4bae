using Microsoft.Extensions.Hosting;

namespace WsBalancer.Host.Hosting;

/// <summary>
/// Replaces the console lifetime of both applications: that one stops an application at the first SIGTERM or Ctrl+C,
/// which would cut every session at once. The process (<see cref="BalancerProcess"/>) handles the signals instead and
/// stops the applications itself once the sessions drained.
/// </summary>
internal sealed class ProcessOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

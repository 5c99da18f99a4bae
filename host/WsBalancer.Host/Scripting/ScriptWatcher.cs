using Microsoft.Extensions.Logging;
using WsBalancer.Host.Hosting;

namespace WsBalancer.Host.Scripting;

/// <summary>Looks at the scripts folder every <see cref="ScriptSettings.PollInterval"/> for the life of the host.</summary>
internal sealed class ScriptWatcher(ScriptLibrary library, TimeProvider time, ILogger<ScriptWatcher> logger)
    : PeriodicWork(library.Settings.PollInterval, time)
{
    protected override Task RunOnceAsync(CancellationToken cancellationToken) => library.ScanAsync(cancellationToken);

    protected override void Failed(Exception exception) => ScriptingLog.WatcherFailed(logger, exception);
}

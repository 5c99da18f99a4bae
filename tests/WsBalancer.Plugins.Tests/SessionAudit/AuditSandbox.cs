using WsBalancer.Plugins.Tests.Shared;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Plugins.SessionAudit;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.SessionAudit;

/// <summary>One test's data directory, fake clock and listeners; everything opened is disposed and the directory deleted.</summary>
internal sealed class AuditSandbox : IDisposable
{
    private readonly List<SessionAuditListener> _opened = [];
    private readonly CancellationTokenSource _timeout;

    public AuditSandbox()
    {
        Root = Directory.CreateTempSubdirectory("wsb-audit-tests-").FullName;
        _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        _timeout.CancelAfter(TimeSpan.FromSeconds(20));
    }

    public string Root { get; }

    public string DatabasePath => Path.Combine(Root, AuditStore.FileName);

    public string ExportDirectory => Path.Combine(Root, AuditExport.FolderName);

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 14, 15, 9, 26, 535, TimeSpan.Zero));

    /// <summary>Bounds every wait of the test: the test's own token, cancelled after 20 s at the latest.</summary>
    public CancellationToken Timeout => _timeout.Token;

    public AuditTestContext Context(params (string Key, string Value)[] settings) =>
        new(Root, settings.ToDictionary(setting => setting.Key, setting => setting.Value, StringComparer.OrdinalIgnoreCase));

    public SessionAuditListener Open(AuditTestContext context, Func<CancellationToken, ValueTask>? beforeBatch = null, TimeSpan? completeTimeout = null)
    {
        var listener = new SessionAuditListener(context, Time, beforeBatch, completeTimeout);
        _opened.Add(listener);
        return listener;
    }

    public SessionAuditListener Open(params (string Key, string Value)[] settings) => Open(Context(settings));

    public DetailedFrontend Frontend(string id, string? remoteAddress = "192.0.2.10") => new()
    {
        Id = id,
        RemoteAddress = remoteAddress,
        StartedAt = Time.GetUtcNow(),
    };

    public static ProxySession Pair(IFrontendConnection frontend, string backendId) => new(frontend, new NamedBackend(backendId));

    public void Dispose()
    {
        foreach (var listener in _opened)
        {
            listener.Dispose();
        }

        _timeout.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

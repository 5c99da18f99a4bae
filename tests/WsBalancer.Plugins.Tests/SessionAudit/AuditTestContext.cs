using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.SessionAudit;

/// <summary>What the host hands the plugin: its name, settings, a logger that keeps entries, and a data directory.</summary>
internal sealed class AuditTestContext(string dataDirectory, IReadOnlyDictionary<string, string> settings) : IPluginContext
{
    public string PluginName => "SessionAudit";

    public string PluginVersion => "1.0.0-test";

    public IReadOnlyDictionary<string, string> Settings { get; } = settings;

    public ListLogger Log { get; } = new();

    public ILogger Logger => Log;

    public string DataDirectory { get; } = dataDirectory;
}

/// <summary>A real in-memory logger: keeps every entry so that tests can read what was logged.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
}

internal sealed record LogEntry(LogLevel Level, int EventId, string Message);

using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WsBalancer.IntegrationTests.Scripting;

/// <summary>A log line of the balancer's host categories, as a script's console wrote it.</summary>
public sealed record CapturedLog(LogLevel Level, int EventId, string Message);

/// <summary>
/// Keeps the balancer's <c>WsBalancer.Host*</c> log lines from Information up, whatever the balancer's own level (the
/// tests run it at ERROR): what a script's <c>console.warn</c> said can be asserted without console noise.
/// </summary>
public sealed class ScriptLogCapture : ILoggerProvider
{
    /// <summary>Event id of <c>console.warn</c> (ScriptingLog.ConsoleWarn).</summary>
    public const int ConsoleWarnEventId = 1507;

    private readonly ConcurrentQueue<CapturedLog> _lines = new();

    public IEnumerable<string> Warnings => _lines.Where(l => l.EventId == ConsoleWarnEventId).Select(l => l.Message);

    /// <summary>For <c>TestBalancer.StartAsync(services: ...)</c>.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(this);
        services.AddLogging(logging => logging.AddFilter<ScriptLogCapture>("WsBalancer.Host", LogLevel.Information));
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(ScriptLogCapture capture) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture._lines.Enqueue(new CapturedLog(logLevel, eventId.Id, formatter(state, exception)));
    }
}

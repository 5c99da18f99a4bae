using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>One log line of the balancer (any category, the servers' own included).</summary>
public sealed record AdminLogLine(LogLevel Level, string Category, int EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}[{EventId}]: {Message} {Exception}";
}

/// <summary>
/// Keeps every log line of the balancer from Information up, whatever the balancer's own level (the tests run it at
/// ERROR), Kestrel's included: a test can assert that bad input left no error and no exception in the log, and that
/// the warnings it expects were written.
/// </summary>
public sealed class AdminLogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<AdminLogLine> _lines = new();

    public IReadOnlyCollection<AdminLogLine> Lines => _lines;

    /// <summary>Errors, and lines of any level that carry an exception: what an unhandled exception leaves behind.</summary>
    public IEnumerable<AdminLogLine> Failures => _lines.Where(l => l.Level >= LogLevel.Error || l.Exception is not null);

    /// <summary>For <c>TestBalancer.StartAsync(services: ...)</c>.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(this);
        services.AddLogging(logging => logging.AddFilter<AdminLogCapture>((string?)null, LogLevel.Information));
    }

    /// <summary>Fails with the lines themselves when any error or exception was logged.</summary>
    public void AssertNoFailures() => Assert.True(!Failures.Any(), string.Join('\n', Failures));

    public IEnumerable<AdminLogLine> WithEventId(int eventId) => _lines.Where(l => l.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(AdminLogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture._lines.Enqueue(new AdminLogLine(logLevel, category, eventId.Id, formatter(state, exception), exception));
    }
}

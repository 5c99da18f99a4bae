using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WsBalancer.Plugins.HttpBridge;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.HttpBridge;

/// <summary>The plugin context the host would give: settings with lower-cased keys, and a logger that keeps what it is told.</summary>
internal sealed class TestPluginContext : IPluginContext
{
    public TestPluginContext(IEnumerable<KeyValuePair<string, string>> settings)
    {
        Settings = settings.ToDictionary(s => s.Key.ToLowerInvariant(), s => s.Value, StringComparer.OrdinalIgnoreCase);
    }

    public string PluginName => "HttpBridge";

    public string PluginVersion => "0.1.0-test";

    public IReadOnlyDictionary<string, string> Settings { get; }

    public RecordingLogger Log { get; } = new();

    public ILogger Logger => Log;

    public string DataDirectory => Path.GetTempPath();
}

internal sealed record LogEntry(LogLevel Level, int EventId, string Message);

/// <summary>A logging sink that keeps every entry, so tests can check what was logged (and that no payload was).</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly SemaphoreSlim _logged = new(0);

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Waits until an entry with <paramref name="eventId"/> has been logged.</summary>
    public async Task WaitForAsync(int eventId, CancellationToken cancellationToken)
    {
        while (!_entries.Any(e => e.EventId == eventId))
        {
            await _logged.WaitAsync(cancellationToken);
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _entries.Enqueue(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
        _logged.Release();
    }
}

/// <summary>One session's side of a dial: real channels for Receive and Send, and bounded waits on Send.</summary>
internal sealed class BridgeSession
{
    public Channel<WsMessage> Receive { get; } = Channel.CreateUnbounded<WsMessage>();

    public Channel<WsMessage> Send { get; } = Channel.CreateUnbounded<WsMessage>();

    public BackendDialContext Context(string clientUrl = "ws://balancer.test/chat", IReadOnlyDictionary<string, string[]>? headers = null, IBackendConnection? old = null) =>
        new(new Uri(clientUrl), headers ?? new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase), Receive.Reader, Send.Writer, old);

    public void Write(params WsMessage[] messages)
    {
        foreach (var message in messages)
        {
            Assert.True(Receive.Writer.TryWrite(message));
        }
    }

    public async Task<WsMessage> NextSentAsync(CancellationToken cancellationToken)
    {
        using var timeout = Bounded.By(cancellationToken);
        return await Send.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>What is left in Receive, oldest first.</summary>
    public List<WsMessage> Remaining()
    {
        var left = new List<WsMessage>();
        while (Receive.Reader.TryRead(out var message))
        {
            left.Add(message);
        }

        return left;
    }
}

internal static class Bounded
{
    /// <summary>Closes <paramref name="connection"/>, failing the test if the close does not complete while <paramref name="cancellationToken"/> lasts.</summary>
    public static Task CloseWithinAsync(this IBackendConnection connection, CancellationToken cancellationToken) =>
        connection.CloseAsync().AsTask().WaitAsync(cancellationToken);

    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>Every wait in these tests ends within <see cref="Limit"/>, far above what a passing test needs.</summary>
    public static CancellationTokenSource By(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(Limit);
        return source;
    }
}

internal static class Dialers
{
    public static HttpBridgeDialer Create(out TestPluginContext context, TimeProvider? time = null, params (string Key, string Value)[] settings)
    {
        context = new TestPluginContext(settings.Select(s => KeyValuePair.Create(s.Key, s.Value)));
        return time is null ? new HttpBridgeDialer(context) : new HttpBridgeDialer(context, time);
    }

    public static HttpBridgeDialer Create(params (string Key, string Value)[] settings) => Create(out _, null, settings);
}

using WsBalancer.Plugins.Tests.Shared;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WsBalancer.Plugins.RateLimit;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.Tests.RateLimit;

/// <summary>One test's providers, fake clock (for the address table and log limits) and the excess counter's measurements.</summary>
internal sealed class RateLimitSandbox : IDisposable
{
    private readonly List<RateLimitValveProvider> _opened = [];
    private readonly List<MeterListener> _listeners = [];
    private readonly ConcurrentQueue<(string Limit, string Action)> _excess = new();
    private readonly CancellationTokenSource _timeout;

    public RateLimitSandbox()
    {
        DataDirectory = Directory.CreateTempSubdirectory("wsb-ratelimit-tests-").FullName;
        _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        _timeout.CancelAfter(TimeSpan.FromSeconds(20));
    }

    public string DataDirectory { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.Zero));

    public TestLogger Log { get; } = new();

    /// <summary>Bounds every wait of the test: the test's own token, cancelled after 20 s at the latest.</summary>
    public CancellationToken Timeout => _timeout.Token;

    /// <summary>Every excess counted by the providers of this sandbox, as (limit, action) tags.</summary>
    public IReadOnlyList<(string Limit, string Action)> Excess => [.. _excess];

    /// <summary>Instruments of this sandbox's meters that have reported the end of their measurements (a disposed meter).</summary>
    public ConcurrentBag<string> CompletedInstruments { get; } = [];

    public RateLimitValveProvider Open(params (string Key, string Value)[] settings)
    {
        var context = new TestPluginContext(DataDirectory, settings.ToDictionary(s => s.Key, s => s.Value, StringComparer.OrdinalIgnoreCase), Log);
        var provider = new RateLimitValveProvider(context, Time);
        _opened.Add(provider);
        _listeners.Add(Listen(provider.Meter));
        return provider;
    }

    public static IMessageValve Valve(RateLimitValveProvider provider, IFrontendConnection frontend) =>
        Assert.Single(provider.AddValves(new ProxySession(frontend, new NamedBackend("b1")), []));

    public static ClosableFrontend Client(string id, string? address = "198.51.100.7") => new() { Id = id, RemoteAddress = address };

    /// <summary>Sends <paramref name="count"/> client messages through the valve; returns how many passed.</summary>
    public static async Task<int> SendAsync(IMessageValve valve, int count, int size = 8)
    {
        var passed = 0;
        for (var i = 0; i < count; i++)
        {
            var message = WsMessage.Binary(new byte[size]);
            var result = await valve.BeforeTransmitAsync(message);
            if (result is not null)
            {
                Assert.Same(message, result);
                passed++;
            }
        }

        return passed;
    }

    /// <summary>Sends <paramref name="count"/> backend messages through the valve; returns how many passed.</summary>
    public static async Task<int> ReceiveAsync(IMessageValve valve, int count)
    {
        var passed = 0;
        for (var i = 0; i < count; i++)
        {
            var message = WsMessage.Text("reply");
            if (await valve.AfterReceiveAsync(message) is { } result)
            {
                Assert.Same(message, result);
                passed++;
            }
        }

        return passed;
    }

    public void Dispose()
    {
        foreach (var provider in _opened)
        {
            provider.Dispose();
        }

        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        _timeout.Dispose();
        Directory.Delete(DataDirectory, recursive: true);
    }

    // Scoped to one provider's meter: other tests' providers, running in parallel, have meters of the same name.
    private MeterListener Listen(Meter meter)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
            MeasurementsCompleted = (instrument, _) => CompletedInstruments.Add(instrument.Name),
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            Assert.Equal(RateLimitMetrics.ExcessCounterName, instrument.Name);
            Assert.Equal(1, value);
            string? limit = null, action = null;
            foreach (var tag in tags)
            {
                (limit, action) = tag.Key switch
                {
                    "limit" => ((string?)tag.Value, action),
                    "action" => (limit, (string?)tag.Value),
                    _ => throw new InvalidOperationException($"unexpected tag {tag.Key}"),
                };
            }

            _excess.Enqueue((limit!, action!));
        });
        listener.Start();
        return listener;
    }
}

internal sealed class TestPluginContext(string dataDirectory, IReadOnlyDictionary<string, string> settings, ILogger logger) : IPluginContext
{
    public string PluginName => "RateLimit";

    public string PluginVersion => "1.0.0-test";

    public IReadOnlyDictionary<string, string> Settings { get; } = settings;

    public ILogger Logger { get; } = logger;

    public string DataDirectory { get; } = dataDirectory;
}

/// <summary>A real in-memory logger: keeps every entry so that tests can read what was logged.</summary>
internal sealed class TestLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, int EventId, string Message)> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
}

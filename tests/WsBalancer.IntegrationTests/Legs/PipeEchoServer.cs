using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Frontend;
using WsBalancer.Host.WebSockets;

namespace WsBalancer.IntegrationTests.Legs;

/// <summary>
/// A real Kestrel app on 127.0.0.1:0 whose only endpoint upgrades with <see cref="PipeUpgrade"/> and echoes every
/// frame with a <see cref="RelayPump"/> that reads the client's masked frames and writes them back unmasked. A
/// refused request takes today's path instead (<c>AcceptWebSocketAsync</c> with the same subprotocol, pass-headers
/// and compression setting, then a message echo), as the frontend would.
/// </summary>
internal sealed class PipeEchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<PipeUpgradeRefusal> _refusals = new();
    private readonly ConcurrentQueue<Exception> _failures = new();
    private readonly ConcurrentQueue<RelayOutcome> _outcomes = new();
    private ErrorLog _errors = new();
    private int _disposed;

    private PipeEchoServer(WebApplication app, PipeEchoOptions options)
    {
        _app = app;
        Options = options;
    }

    public PipeEchoOptions Options { get; }

    public Uri Url { get; private set; } = null!;

    /// <summary>What <see cref="PipeUpgrade"/> said, per request in arrival order.</summary>
    public IReadOnlyList<PipeUpgradeRefusal> Refusals => [.. _refusals];

    /// <summary>How each pipe echo ended.</summary>
    public IReadOnlyList<RelayOutcome> Outcomes => [.. _outcomes];

    /// <summary>Pass-header names the last pipe upgrade skipped.</summary>
    public IReadOnlyList<string> LastSkipped { get; private set; } = [];

    /// <param name="certificate">When set, the listener is HTTPS (the pipes are then those behind Kestrel's TLS).</param>
    public static async Task<PipeEchoServer> StartAsync(
        PipeEchoOptions options,
        CancellationToken cancellationToken,
        HttpProtocols protocols = HttpProtocols.Http1,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        var errors = new ErrorLog();
        builder.Logging.AddProvider(errors);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = protocols;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        var server = new PipeEchoServer(app, options) { _errors = errors };
        app.UseWebSockets();
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>The server's own failures, rethrown by the tests that care (an echo that silently failed would hide a bug).</summary>
    public void ThrowIfFailed()
    {
        if (!_failures.IsEmpty)
        {
            throw new AggregateException(_failures);
        }

        // Kestrel's own complaints (e.g. about a connection whose pipes were taken over) count as failures too.
        Assert.Empty(_errors.Entries);
    }

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            var chosen = context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault(p => Options.Subprotocols.Contains(p));
            if (!Options.ForceMessagePath)
            {
                var upgrade = await PipeUpgrade.UpgradeAsync(context, chosen, Options.PassHeaders, Options.Compression);
                _refusals.Enqueue(upgrade.Refusal);
                if (upgrade.Transport is { } pipe)
                {
                    LastSkipped = upgrade.SkippedHeaders;
                    await EchoFramesAsync(pipe.Input, pipe.Output, context.RequestAborted);
                    return;
                }
            }

            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            // Today's path, as FrontendEndpoint does it.
            foreach (var (name, values) in Options.PassHeaders)
            {
                if (ResponseHeaders.CanWrite(name, values))
                {
                    context.Response.Headers[name] = values;
                }
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = chosen, DangerousEnableCompression = Options.Compression });
            await EchoMessagesAsync(socket, context.RequestAborted);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or WebSocketException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception ex)
        {
            _failures.Enqueue(ex);
            throw;
        }
    }

    private async Task EchoFramesAsync(System.IO.Pipelines.PipeReader input, System.IO.Pipelines.PipeWriter output, CancellationToken cancellationToken)
    {
        var events = new EchoEvents();
        // Masked in (a client's frames), unmasked out (to the same client): the pump is a frame echo.
        var pump = new RelayPump(input, output, new RelayPumpOptions(new FrameRules(RequireMask: true, PerMessageDeflate: false), MaskOutbound: false, 1024 * 1024), events);
        events.Pump = pump;
        var outcome = await pump.RunAsync(cancellationToken);
        _outcomes.Enqueue(outcome);
        if (outcome.End == RelayEnd.PeerClosed)
        {
            FrameWriter.WriteClose(output, outcome.CloseStatus ?? WebSocketCloseStatus.Empty, "", masked: false);
            await output.FlushAsync(cancellationToken);
        }

        await input.CompleteAsync();
        await output.CompleteAsync();
    }

    private static async Task EchoMessagesAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[256 * 1024];
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                count += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, count), result.MessageType, endOfMessage: true, cancellationToken);
        }
    }

    /// <summary>Warnings and errors logged by Kestrel and the app.</summary>
    public IReadOnlyCollection<string> LoggedWarnings => _errors.Entries;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class ErrorLog : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Entries.Enqueue($"{logLevel} {eventId}: {formatter(state, exception)} {exception}");
            }
        }

        public void Dispose()
        {
        }
    }

    private sealed class EchoEvents : IRelayEvents
    {
        public RelayPump? Pump { get; set; }

        // The echo's outbound leg is the pinging client's own: the pong goes through the same pump.
        public void OnPing(ReadOnlySpan<byte> payload) => Pump!.Outbox.TryEnqueue(WsOpcode.Pong, payload);

        public void OnPong(ReadOnlySpan<byte> payload)
        {
        }

        public void OnMessageWritten(long messagesWritten, long outboundBytes)
        {
        }


        public void OnPeerClose()
        {
        }

        public void OnFlushed(long messagesFlushed)
        {
        }
    }
}

/// <summary>How a <see cref="PipeEchoServer"/> answers upgrades.</summary>
internal sealed record PipeEchoOptions
{
    /// <summary>Subprotocols "the backend" accepts: the first one the client offers from this list is chosen.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    /// <summary>The backend's pass-headers, as the frontend receives them from a backend connection.</summary>
    public IReadOnlyDictionary<string, string[]> PassHeaders { get; init; } = new Dictionary<string, string[]>();

    public bool Compression { get; init; }

    /// <summary>When true, every request takes today's path (for comparing the two 101 responses).</summary>
    public bool ForceMessagePath { get; init; }
}

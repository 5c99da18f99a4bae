using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsBalancer.Host.Hosting;

namespace WsBalancer.Host.Demo;

/// <summary>
/// An in-process echo backend for <c>--demo</c>: answers every message with the same message prefixed by its
/// name, so a newcomer sees which backend served them.
/// </summary>
internal sealed class DemoEchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoEchoBackend(WebApplication app, string name, Uri url)
    {
        _app = app;
        Name = name;
        Url = url;
    }

    public string Name { get; }

    public Uri Url { get; }

    public static async Task<DemoEchoBackend> StartAsync(string name, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        var prefix = System.Text.Encoding.UTF8.GetBytes($"[{name}] ");
        app.Run(async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await context.Response.WriteAsync($"{name}: connect with a WebSocket client.");
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await EchoAsync(socket, prefix, context.RequestAborted);
        });
        await app.StartAsync(cancellationToken);
        return new DemoEchoBackend(app, name, Listeners.BoundUri(app.Services.GetRequiredService<IServer>(), "ws"));
    }

    private static async Task EchoAsync(WebSocket socket, byte[] prefix, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                    count += result.Count;
                }
                while (!result.EndOfMessage && count < buffer.Length);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                    return;
                }

                var reply = result.MessageType == WebSocketMessageType.Text ? [.. prefix, .. buffer.AsSpan(0, count)] : buffer[..count];
                await socket.SendAsync(reply, result.MessageType, true, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

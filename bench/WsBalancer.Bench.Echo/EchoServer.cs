using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace WsBalancer.Bench.Echo;

/// <summary>
/// Echoes every message back with its type, and on <c>POST /kill</c> closes all its connections with 1011 the way a
/// dying server would. What each connection receives after the kill is counted (and, for text, recorded): those are
/// the messages "in flight inside the dying backend", which no proxy can save.
/// </summary>
internal sealed class EchoServer(string name, int port)
{
    // Bounds what a kill records, so a misbehaving client cannot grow the backend without limit.
    private const int MaxRecordedAfterKill = 500_000;
    private const int MaxRecordedPrefix = 64;
    private static readonly TimeSpan DyingGrace = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<long, EchoConnection> _connections = new();
    private readonly Lock _afterKillLock = new();
    private readonly List<string> _afterKillPayloads = [];
    private readonly HashSet<string> _killedPaths = [];
    private long _nextId;
    private long _accepted;
    private long _messages;
    private long _bytes;
    private long _afterKillMessages;
    private long _afterKillBytes;
    private int _kills;
    private volatile bool _refusing;

    public async Task HandleAsync(HttpContext context)
    {
        if (context.WebSockets.IsWebSocketRequest)
        {
            if (_refusing)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var connection = new EchoConnection(Interlocked.Increment(ref _nextId), socket, context.Request.Path + context.Request.QueryString);
            Interlocked.Increment(ref _accepted);
            _connections[connection.Id] = connection;
            try
            {
                await EchoAsync(connection, context.RequestAborted);
            }
            finally
            {
                _connections.TryRemove(connection.Id, out _);
            }

            return;
        }

        var path = context.Request.Path.Value;
        var method = context.Request.Method;
        switch (path)
        {
            case "/stats" when HttpMethods.IsGet(method):
                await WriteStatsAsync(context.Response, context.Request.Query.ContainsKey("payloads"));
                return;
            case "/kill" when HttpMethods.IsPost(method):
                var refuse = !string.Equals(context.Request.Query["refuse"], "false", StringComparison.OrdinalIgnoreCase);
                var killed = await KillAsync(refuse);
                await WriteJsonAsync(context.Response, w => w.WriteNumber("killed", killed));
                return;
            case "/revive" when HttpMethods.IsPost(method):
                _refusing = false;
                await WriteJsonAsync(context.Response, w => w.WriteBoolean("refusing", false));
                return;
            case "/reset" when HttpMethods.IsPost(method):
                Reset();
                await WriteJsonAsync(context.Response, w => w.WriteBoolean("reset", true));
                return;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync($"{name}: connect with a WebSocket client; GET /stats, POST /kill|/revive|/reset.");
                return;
        }
    }

    private async Task EchoAsync(EchoConnection connection, CancellationToken cancellationToken)
    {
        var socket = connection.Socket;
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (!connection.Dying)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                    }

                    return;
                }

                Interlocked.Increment(ref _messages);
                Interlocked.Add(ref _bytes, count);
                if (connection.Dying)
                {
                    RecordAfterKill(result.MessageType, buffer.AsSpan(0, count));
                    continue;
                }

                // The kill takes the same lock to send its close, so a message is either echoed whole or counted as
                // received after the kill; never both.
                await connection.SendLock.WaitAsync(cancellationToken);
                try
                {
                    if (connection.Dying)
                    {
                        RecordAfterKill(result.MessageType, buffer.AsSpan(0, count));
                        continue;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, count), result.MessageType, true, cancellationToken);
                }
                finally
                {
                    connection.SendLock.Release();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer went away (or the kill's grace period ended): nothing to echo to.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<int> KillAsync(bool refuse)
    {
        _refusing = refuse;
        Interlocked.Increment(ref _kills);
        var victims = _connections.Values.ToArray();
        lock (_afterKillLock)
        {
            _afterKillPayloads.Clear();
            _killedPaths.Clear();
            foreach (var victim in victims)
            {
                _killedPaths.Add(victim.Path);
            }
        }

        Interlocked.Exchange(ref _afterKillMessages, 0);
        Interlocked.Exchange(ref _afterKillBytes, 0);
        foreach (var victim in victims)
        {
            victim.Dying = true;
        }

        await Parallel.ForEachAsync(victims, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (victim, ct) =>
        {
            await victim.SendLock.WaitAsync(ct);
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await victim.Socket.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, "bench kill", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
            }
            finally
            {
                victim.SendLock.Release();
            }

            // Keep reading (and counting) until the peer closes, but not forever.
            _ = Task.Delay(DyingGrace).ContinueWith(_ => victim.Socket.Abort(), TaskScheduler.Default);
        });
        return victims.Length;
    }

    private void RecordAfterKill(WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        Interlocked.Increment(ref _afterKillMessages);
        Interlocked.Add(ref _afterKillBytes, payload.Length);
        if (type != WebSocketMessageType.Text)
        {
            return;
        }

        var text = Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, MaxRecordedPrefix)]);
        lock (_afterKillLock)
        {
            if (_afterKillPayloads.Count < MaxRecordedAfterKill)
            {
                _afterKillPayloads.Add(text);
            }
        }
    }

    private void Reset()
    {
        Interlocked.Exchange(ref _accepted, 0);
        Interlocked.Exchange(ref _messages, 0);
        Interlocked.Exchange(ref _bytes, 0);
        Interlocked.Exchange(ref _afterKillMessages, 0);
        Interlocked.Exchange(ref _afterKillBytes, 0);
        lock (_afterKillLock)
        {
            _afterKillPayloads.Clear();
            _killedPaths.Clear();
        }
    }

    private Task WriteStatsAsync(HttpResponse response, bool withPayloads) => WriteJsonAsync(response, w =>
    {
        w.WriteString("name", name);
        w.WriteNumber("port", port);
        w.WriteNumber("open", _connections.Count);
        w.WriteNumber("accepted", Interlocked.Read(ref _accepted));
        w.WriteNumber("messages", Interlocked.Read(ref _messages));
        w.WriteNumber("bytes", Interlocked.Read(ref _bytes));
        w.WriteNumber("kills", _kills);
        w.WriteBoolean("refusing", _refusing);
        w.WriteStartObject("afterKill");
        w.WriteNumber("messages", Interlocked.Read(ref _afterKillMessages));
        w.WriteNumber("bytes", Interlocked.Read(ref _afterKillBytes));
        lock (_afterKillLock)
        {
            w.WriteNumber("connections", _killedPaths.Count);
            w.WriteStartArray("paths");
            foreach (var path in _killedPaths)
            {
                w.WriteStringValue(path);
            }

            w.WriteEndArray();
            if (withPayloads)
            {
                w.WriteStartArray("payloads");
                foreach (var payload in _afterKillPayloads)
                {
                    w.WriteStringValue(payload);
                }

                w.WriteEndArray();
            }
        }

        w.WriteEndObject();
    });

    private static async Task WriteJsonAsync(HttpResponse response, Action<Utf8JsonWriter> body)
    {
        response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        await response.Body.WriteAsync(buffer.WrittenMemory);
    }

    private sealed class EchoConnection(long id, WebSocket socket, string path)
    {
        public long Id { get; } = id;

        public WebSocket Socket { get; } = socket;

        public string Path { get; } = path;

        public SemaphoreSlim SendLock { get; } = new(1, 1);

        public volatile bool Dying;
    }
}

using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>An HTTP response read off a raw socket: its head and its body (de-chunked).</summary>
public sealed record RawHttpResponse(RawHttpHead Head, byte[] Body)
{
    /// <summary>The status code of the start line ("HTTP/1.1 426 Upgrade Required" → 426).</summary>
    public int Status => int.Parse(Head.StartLine.Split(' ')[1], CultureInfo.InvariantCulture);

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>The body's "reason" when it is a JSON object with one, otherwise null.</summary>
    public string? Reason
    {
        get
        {
            if (Body.Length == 0 || Body[0] != (byte)'{')
            {
                return null;
            }

            var json = JsonSerializer.Deserialize<JsonElement>(Body);
            return json.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
        }
    }
}

/// <summary>
/// Bytes over a plain TCP connection, for what no HTTP or WebSocket client library will send: malformed handshakes,
/// garbage, half requests. Every wait is bounded by <see cref="Timeouts.Default"/>.
/// </summary>
public static class RawHttp
{
    public static async Task<TcpClient> ConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(uri.Host, uri.Port, timeout.Token);
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    public static Task SendAsync(TcpClient tcp, string text, CancellationToken cancellationToken) =>
        SendAsync(tcp, Encoding.Latin1.GetBytes(text), cancellationToken);

    public static async Task SendAsync(TcpClient tcp, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        await tcp.GetStream().WriteAsync(bytes, timeout.Token);
    }

    /// <summary>
    /// Reads one response: the head, then the body by Content-Length, chunked encoding, or up to the close, so a
    /// server that keeps the connection open after its answer does not hold the test.
    /// </summary>
    public static async Task<RawHttpResponse> ReadResponseAsync(TcpClient tcp, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        var stream = tcp.GetStream();
        var head = await RawWebSocketProtocol.ReadHeadAsync(stream, timeout.Token);
        if (head.Value("Content-Length") is { } length)
        {
            var body = new byte[int.Parse(length, CultureInfo.InvariantCulture)];
            await stream.ReadExactlyAsync(body, timeout.Token);
            return new RawHttpResponse(head, body);
        }

        if (head.Value("Transfer-Encoding") is { } encoding && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            return new RawHttpResponse(head, await ReadChunkedAsync(stream, timeout.Token));
        }

        return new RawHttpResponse(head, await ReadUntilClosedAsync(tcp, cancellationToken));
    }

    /// <summary>Everything the server sends until it closes the connection (a reset counts as closed), bounded.</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(TcpClient tcp, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        using var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await tcp.GetStream().ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after (or instead of) the reply: the connection is closed, which is what is awaited.
        }

        return received.ToArray();
    }

    private static async Task<byte[]> ReadChunkedAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var size = int.Parse((await ReadLineAsync(stream, cancellationToken)).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                await ReadLineAsync(stream, cancellationToken); // the blank line after the last chunk (no trailers are sent)
                return body.ToArray();
            }

            var chunk = new byte[size];
            await stream.ReadExactlyAsync(chunk, cancellationToken);
            body.Write(chunk);
            await ReadLineAsync(stream, cancellationToken);
        }
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new EndOfStreamException("connection closed inside a chunked body");
            }

            line.Append((char)one[0]);
        }

        return line.ToString(0, line.Length - 2);
    }
}

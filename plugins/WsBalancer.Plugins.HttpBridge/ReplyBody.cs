using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Unicode;
using WsBalancer.Sdk;

namespace WsBalancer.Plugins.HttpBridge;

/// <summary>Reads a response body within the size limit and turns it into the message the client gets.</summary>
internal static class ReplyBody
{
    private const int FirstBufferBytes = 16 * 1024;

    /// <summary>The body's bytes, or null when it is over <paramref name="maxBytes"/> (it is then not read further).</summary>
    public static async Task<byte[]?> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } length)
        {
            if (length > maxBytes)
            {
                return null;
            }

            if (length == 0)
            {
                return [];
            }

            var body = new byte[length];
            await using var exact = await content.ReadAsStreamAsync(cancellationToken);
            await exact.ReadExactlyAsync(body, cancellationToken);
            return body;
        }

        // Chunked: read into pooled buffers that grow up to one byte past the limit, which proves it was broken.
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(FirstBufferBytes, maxBytes + 1));
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, maxBytes + 1L));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(count), cancellationToken);
                if (read == 0)
                {
                    return buffer.AsSpan(0, count).ToArray();
                }

                count += read;
                if (count > maxBytes)
                {
                    return null;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Text when the media type says so (<c>text/*</c>, <c>application/json</c>, <c>*+json</c>) or names a charset;
    /// binary otherwise. A text body in another charset is re-encoded as UTF-8, the only encoding of a text frame
    /// (RFC 6455 §5.6); one that cannot be read as text goes as binary (<paramref name="notUtf8"/> is then true).
    /// </summary>
    public static WsMessage ToMessage(byte[] body, MediaTypeHeaderValue? contentType, out bool notUtf8)
    {
        notUtf8 = false;
        if (contentType is null || !IsText(contentType))
        {
            return WsMessage.Binary(body);
        }

        var charset = contentType.CharSet?.Trim('"', ' ');
        if (!string.IsNullOrEmpty(charset) && !IsUtf8(charset))
        {
            try
            {
                body = Encoding.UTF8.GetBytes(Encoding.GetEncoding(charset).GetString(body));
            }
            catch (ArgumentException)
            {
                // A charset .NET does not know (InvariantGlobalization keeps the set small).
                notUtf8 = true;
                return WsMessage.Binary(body);
            }
        }

        if (!Utf8.IsValid(body))
        {
            notUtf8 = true;
            return WsMessage.Binary(body);
        }

        return new WsMessage(WsMessageType.Text, body);
    }

    private static bool IsText(MediaTypeHeaderValue contentType)
    {
        var mediaType = contentType.MediaType ?? string.Empty;
        return mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || !string.IsNullOrEmpty(contentType.CharSet);
    }

    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
        || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase);
}

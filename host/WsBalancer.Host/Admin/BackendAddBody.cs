using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Admin;

/// <summary>
/// Checks a <c>POST /backend/add</c> body before an administrator sees it, so that every mistake is answered with the
/// field and the problem in the API's own terms, never a .NET type name: the media type, the JSON syntax and shape
/// (one object), and for the built-in WebSocket upstream the name and JSON type of every field. The values' meaning
/// (a ws:// URL, a duration, a close code) is the administrator's to check.
/// </summary>
internal static class BackendAddBody
{
    private const string Example = """{"url":"ws://10.0.0.11:9090","id":"blue"}""";

    // The ancestor's fields (its newBackendDef), the only ones the built-in upstream reads.
    private static readonly (string Name, FieldKind Kind)[] Fields =
    [
        ("url", FieldKind.Text),
        ("id", FieldKind.Text),
        ("ping-time", FieldKind.Duration),
        ("handshake-timeout", FieldKind.Duration),
        ("breaker-threshold", FieldKind.WholeNumber),
        ("pass-headers", FieldKind.HeaderNames),
        ("abnormal-close-codes", FieldKind.CloseCodes),
        ("read-buffer-size", FieldKind.WholeNumber),
        ("write-buffer-size", FieldKind.WholeNumber),
    ];

    private static readonly string FieldList = string.Join(", ", Fields.Select(f => f.Name));

    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    private enum FieldKind
    {
        Text,
        Duration,
        WholeNumber,
        HeaderNames,
        CloseCodes,
    }

    /// <summary>
    /// Null when the body may go to the administrator (<paramref name="json"/> is then the body without a UTF-8 byte order
    /// mark); otherwise the reply: 415 for a media type that is not JSON, 400 for everything else.
    /// </summary>
    /// <param name="checkFields">True for the built-in upstream, whose fields are known; a plugin's administrator reads its own.</param>
    public static IResult? Check(string? contentType, ReadOnlyMemory<byte> body, bool checkFields, out ReadOnlyMemory<byte> json)
    {
        json = body.Span.StartsWith("\uFEFF"u8) ? body[3..] : body;
        if (MediaTypeProblem(contentType) is { } mediaProblem)
        {
            return AdminReplies.Failed(mediaProblem, StatusCodes.Status415UnsupportedMediaType);
        }

        var problem = JsonProblem(json, checkFields);
        return problem is null ? null : AdminReplies.Failed(problem, StatusCodes.Status400BadRequest);
    }

    /// <summary>
    /// JSON, or what the ancestor's users send: no Content-Type, or curl's <c>-d</c> default (form-urlencoded), or text; the
    /// body is read as JSON in every case. Anything else (XML, multipart, another charset) is refused rather than guessed at.
    /// </summary>
    private static string? MediaTypeProblem(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
        {
            return $"Content-Type '{Shorten(contentType)}' is not a media type: send application/json";
        }

        var accepted = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
        if (!accepted)
        {
            return $"Content-Type '{Shorten(type)}' is not accepted: send application/json";
        }

        var charset = media.Charset.Value;
        return charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"Content-Type charset '{Shorten(charset)}' is not accepted: send UTF-8 (application/json; charset=utf-8)";
    }

    private static string? JsonProblem(ReadOnlyMemory<byte> json, bool checkFields)
    {
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return $"request body is empty: expected a JSON object such as {Example}";
        }

        if (!Utf8.IsValid(json.Span))
        {
            return "request body is not valid UTF-8 text";
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Strict);
        }
        catch (JsonException ex)
        {
            return $"invalid JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {ReaderMessage(ex.Message)}";
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"expected a JSON object such as {Example}, got {Describe(root)}";
            }

            return PropertyProblem(root, checkFields);
        }
    }

    private static string? PropertyProblem(JsonElement root, bool checkFields)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return $"field '{Shorten(property.Name)}' is given twice";
            }

            if (!checkFields)
            {
                continue;
            }

            var index = Array.FindIndex(Fields, f => f.Name.Equals(property.Name, StringComparison.Ordinal));
            if (index < 0)
            {
                var similar = Array.Find(Fields, f => f.Name.Equals(property.Name, StringComparison.OrdinalIgnoreCase)).Name;
                return similar is null
                    ? $"unknown field '{Shorten(property.Name)}': a backend has {FieldList}"
                    : $"unknown field '{Shorten(property.Name)}': field names are lower case ('{similar}')";
            }

            if (ValueProblem(Fields[index].Name, Fields[index].Kind, property.Value) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    // null is "not given", as for the ancestor: the default applies (and url reports itself as required).
    private static string? ValueProblem(string name, FieldKind kind, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        switch (kind)
        {
            case FieldKind.Text when value.ValueKind != JsonValueKind.String:
                return $"{name}: expected a string such as {(name == "url" ? "\"ws://10.0.0.11:9090\"" : "\"blue\"")}, got {Describe(value)}";
            case FieldKind.Duration when value.ValueKind != JsonValueKind.String:
                return $"{name}: expected a duration string such as \"30s\" or \"1m30s\", got {Describe(value)}";
            case FieldKind.WholeNumber:
                return WholeNumberProblem(name, value);
            case FieldKind.HeaderNames:
                return ListProblem(name, value, "[\"X-Session-Token\"]", (itemName, item) =>
                    item.ValueKind == JsonValueKind.String && HttpToken.IsValid(item.GetString())
                        ? null
                        : $"{itemName}: expected {HttpToken.Expected}, got {Describe(item)}");
            case FieldKind.CloseCodes:
                return ListProblem(name, value, "[1001, 1011]", WholeNumberProblem);
            default:
                return null;
        }
    }

    // Written as a plain integer, as the ancestor (Go's int) and the upstream's reader take it: 5, not 5.0 or 5e0.
    private static string? WholeNumberProblem(string name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _))
        {
            return null;
        }

        var integer = value.ValueKind == JsonValueKind.Number && value.GetRawText().TrimStart('-').All(char.IsAsciiDigit);
        return integer
            ? $"{name}: {Shorten(value.GetRawText())} is out of range ({int.MinValue} to {int.MaxValue})"
            : $"{name}: expected a whole number, got {Describe(value)}";
    }

    private static string? ListProblem(string name, JsonElement value, string example, Func<string, JsonElement, string?> itemProblem)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return $"{name}: expected a list such as {example}, got {Describe(value)}";
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (itemProblem($"{name}[{i}]", item) is { } problem)
            {
                return problem;
            }

            i++;
        }

        return null;
    }

    /// <summary>What the user sent, in JSON's words: <c>a number (42)</c>, <c>a string ("5")</c>, <c>an array</c>.</summary>
    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"a string ({Shorten(value.GetRawText())})",
        JsonValueKind.Number => $"a number ({Shorten(value.GetRawText())})",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    // The reader's own sentence, without its position suffix (given above in the user's terms) and its advice to the programmer.
    private static string ReaderMessage(string message)
    {
        var end = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var text = end >= 0 ? message[..end] : message;
        return text.Replace(" Change the reader options.", "", StringComparison.Ordinal).Trim();
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}

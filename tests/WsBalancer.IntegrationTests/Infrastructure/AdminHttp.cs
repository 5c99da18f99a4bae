using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace WsBalancer.IntegrationTests.Infrastructure;

/// <summary>An admin API answer as a script sees it: status, exact body text and every header.</summary>
public sealed record AdminReply(HttpStatusCode Status, string Body, string? ContentType, IReadOnlyDictionary<string, string> Headers)
{
    public JsonElement Json => JsonSerializer.Deserialize<JsonElement>(Body);

    /// <summary>The "reason" of a JSON object reply, or null when it has none.</summary>
    public string? Reason => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("reason", out var reason) ? reason.GetString() : null;

    /// <summary>True for the shape <c>{"result":"failed","reason":"…"}</c> with a non-empty reason and nothing else.</summary>
    public bool IsFailedWithReason =>
        Json.ValueKind == JsonValueKind.Object
        && Json.EnumerateObject().Select(p => p.Name).SequenceEqual(["result", "reason"])
        && Json.GetProperty("result").GetString() == "failed"
        && !string.IsNullOrWhiteSpace(Reason);
}

/// <summary>The admin API's fixed reply bodies (the ancestor's, byte for byte), and raw HTTP to the admin listener.</summary>
public static class AdminHttp
{
    public const string Success = """{"result":"success"}""";

    public const string NoActionRequired = """{"result":"success","reason":"NoActionRequired"}""";

    public const string OnlyPostAllowed = """{"result":"failed","reason":"OnlyPostAllowed"}""";

    public const string NotImplemented = """{"result":"failed","reason":"NotImplemented"}""";

    public const string Unauthorized = """{"result":"failed","reason":"Unauthorized"}""";

    /// <summary>Sends one request with nothing but what the arguments say (no default headers of the test's client).</summary>
    public static async Task<AdminReply> SendAsync(
        Uri adminUri,
        HttpMethod method,
        string path,
        CancellationToken cancellationToken,
        HttpContent? content = null,
        string? authorization = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(method, new Uri(adminUri, path)) { Content = content };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request, timeout.Token);
        var body = await response.Content.ReadAsStringAsync(timeout.Token);
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            all[name] = string.Join(", ", values);
        }

        return new AdminReply(response.StatusCode, body, response.Content.Headers.ContentType?.ToString(), all);
    }

    public static Task<AdminReply> GetAsync(this TestBalancer balancer, string path, CancellationToken cancellationToken, string? authorization = null) =>
        SendAsync(balancer.Admin.BaseAddress!, HttpMethod.Get, path, cancellationToken, authorization: authorization);

    public static Task<AdminReply> PostRawAsync(this TestBalancer balancer, string path, CancellationToken cancellationToken, HttpContent? content = null, string? authorization = null) =>
        SendAsync(balancer.Admin.BaseAddress!, HttpMethod.Post, path, cancellationToken, content, authorization);

    /// <summary>POST /backend/add with <paramref name="json"/> as the body, sent as the ancestor's scripts did.</summary>
    public static Task<AdminReply> AddBackendAsync(this TestBalancer balancer, string json, CancellationToken cancellationToken, string? authorization = null) =>
        balancer.PostRawAsync("/backend/add", cancellationToken, JsonBody(json), authorization);

    public static HttpContent JsonBody(string json)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A raw body, sent with a Content-Length, or chunked (a length HttpClient cannot know).</summary>
    public static HttpContent Body(byte[] bytes, bool chunked) =>
        chunked ? new StreamContent(new UnknownLengthStream(bytes)) : new ByteArrayContent(bytes);

    public static string Bearer(string token) => $"Bearer {token}";

    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

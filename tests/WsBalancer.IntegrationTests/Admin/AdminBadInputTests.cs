using System.Net;
using System.Net.Sockets;
using System.Text;
using Bogus;
using Microsoft.Extensions.DependencyInjection;
using WsBalancer.Sdk;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>
/// Bad input on the admin API: malformed or mistyped JSON, wrong media types, huge bodies, odd ids and paths. Each
/// gets a clear status and <c>{"result":"failed","reason":…}</c> naming the field and the problem, and leaves the
/// backends, a live session and the log as they were.
/// </summary>
public sealed class AdminBadInputTests
{
    private readonly Faker _faker = new();

    /// <summary>A body, and the start of the reason it must get ({host} is replaced by a generated host name).</summary>
    public static TheoryData<string, string> BadBodies() => new()
    {
        { "[]", "expected a JSON object such as {" },
        { """[{"url":"ws://{host}:9"}]""", "expected a JSON object such as {" },
        { "42", "expected a JSON object such as {" },
        { "\"ws://{host}:9\"", "expected a JSON object such as {" },
        { "null", "expected a JSON object such as {" },
        { "true", "expected a JSON object such as {" },
        { "", "request body is empty" },
        { " \r\n\t ", "request body is empty" },
        { "{", "invalid JSON at line 1, byte 2" },
        { "<backend url=\"ws://{host}:9\"/>", "invalid JSON at line 1, byte 1" },
        { "{'url':'ws://{host}:9'}", "invalid JSON at line 1" },
        { """{"url":"ws://{host}:9",}""", "invalid JSON at line 1" },
        { """{"url":"ws://{host}:9"} {"url":"ws://{host}:10"}""", "invalid JSON at line 1" },
        { "{\n  \"url\": \"ws://{host}:9\"\n  \"id\": \"x\"\n}", "invalid JSON at line 3" },
        { """{"url":"ws://{host}:9","pass-headers":[[[[[[[[[[[[[[[[[[["X"]]]]]]]]]]]]]]]]]]]}""", "invalid JSON at line 1" },
        { """{"url":42}""", "url: expected a string" },
        { """{"url":["ws://{host}:9"]}""", "url: expected a string" },
        { """{"url":{"host":"{host}"}}""", "url: expected a string" },
        { """{"url":"ws://{host}:9","id":7}""", "id: expected a string" },
        { """{"url":"ws://{host}:9","ping-time":30}""", "ping-time: expected a duration string" },
        { """{"url":"ws://{host}:9","handshake-timeout":true}""", "handshake-timeout: expected a duration string" },
        { """{"url":"ws://{host}:9","breaker-threshold":"5"}""", "breaker-threshold: expected a whole number, got a string" },
        { """{"url":"ws://{host}:9","breaker-threshold":2.5}""", "breaker-threshold: expected a whole number, got a number (2.5)" },
        { """{"url":"ws://{host}:9","read-buffer-size":99999999999}""", "read-buffer-size: 99999999999 is out of range" },
        { """{"url":"ws://{host}:9","write-buffer-size":[]}""", "write-buffer-size: expected a whole number, got an array" },
        { """{"url":"ws://{host}:9","pass-headers":"X-Token"}""", "pass-headers: expected a list" },
        { """{"url":"ws://{host}:9","pass-headers":["X-Token",5]}""", "pass-headers[1]: expected an HTTP header name" },
        { """{"url":"ws://{host}:9","pass-headers":["bad header"]}""", "pass-headers[0]: expected an HTTP header name" },
        { """{"url":"ws://{host}:9","pass-headers":[null]}""", "pass-headers[0]: expected an HTTP header name" },
        { """{"url":"ws://{host}:9","abnormal-close-codes":1011}""", "abnormal-close-codes: expected a list" },
        { """{"url":"ws://{host}:9","abnormal-close-codes":["1011"]}""", "abnormal-close-codes[0]: expected a whole number" },
        { """{"url":"ws://{host}:9","weight":5}""", "unknown field 'weight': a backend has url, id, ping-time" },
        { """{"URL":"ws://{host}:9"}""", "unknown field 'URL': field names are lower case ('url')" },
        { """{"url":"ws://{host}:9","url":"ws://{host}:10"}""", "field 'url' is given twice" },
        { """{"id":"x"}""", "url is required" },
        { "{}", "url is required" },
        { """{"url":null}""", "url is required" },
        { """{"url":"ws://{host}:9","id":"h\u00e9"}""", "id 'h\u00e9': expected a backend id" },
        { """{"url":"ws://{host}:9","id":"a/b"}""", "id 'a/b': expected a backend id" },
        { """{"url":"ws://{host}:9","id":".."}""", "id '..': expected a backend id" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task AddBackend_BadBody_400NamingTheProblemNothingHarmed(string template, string reasonStart)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await AdminHarness.StartAsync(ct);
        var body = template.Replace("{host}", _faker.Internet.DomainName());

        var reply = await harness.Balancer.AddBackendAsync(body, ct);

        AdminHarness.AssertFailed(reply, HttpStatusCode.BadRequest, reasonStart);
        Assert.StartsWith(reasonStart, reply.Reason, StringComparison.Ordinal);
        await harness.AssertUnharmedAsync(ct);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x75, 0x72, 0x6C, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D }, "request body is not valid UTF-8")] // {"url":"\xFF\xFE"}
    [InlineData(new byte[] { 0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00 }, "request body is not valid UTF-8")] // {} in UTF-16 with its byte order mark
    [InlineData(new byte[] { 0x00, 0x00, 0x00 }, "invalid JSON at line 1, byte 1")]
    public async Task AddBackend_BytesThatAreNotUtf8Json_400NothingHarmed(byte[] body, string reasonStart)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await AdminHarness.StartAsync(ct);

        var reply = await harness.Balancer.PostRawAsync("/backend/add", ct, new ByteArrayContent(body));

        AdminHarness.AssertFailed(reply, HttpStatusCode.BadRequest, reasonStart);
        await harness.AssertUnharmedAsync(ct);
    }

    [Fact]
    public async Task AddBackend_Utf8ByteOrderMark_Added()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var json = Encoding.UTF8.GetBytes($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9","id":"bom"}""");

        var reply = await balancer.PostRawAsync("/backend/add", ct, new ByteArrayContent([0xEF, 0xBB, 0xBF, .. json]));

        Assert.Equal(AdminHttp.Success, reply.Body);
        Assert.Equal(HttpStatusCode.OK, (await balancer.GetAsync("/backend/config/bom", ct)).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=UTF-8")]
    [InlineData("application/vnd.wsbalancer.backend+json")]
    [InlineData("application/x-www-form-urlencoded")] // what curl -d sends: the ancestor's scripts
    [InlineData("text/plain; charset=utf-8")]
    public async Task AddBackend_JsonOrWhatAncestorScriptsSend_Added(string? contentType)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct);
        var id = _faker.Random.AlphaNumeric(8);

        var reply = await balancer.PostRawAsync("/backend/add", ct, Body($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9","id":"{{id}}"}""", contentType));

        Assert.Equal(AdminHttp.Success, reply.Body);
        Assert.Equal(HttpStatusCode.OK, (await balancer.GetAsync($"/backend/config/{id}", ct)).Status);
    }

    [Theory]
    [InlineData("text/xml", "Content-Type 'text/xml' is not accepted: send application/json")]
    [InlineData("application/xml; charset=utf-8", "Content-Type 'application/xml' is not accepted")]
    [InlineData("multipart/form-data; boundary=----x", "Content-Type 'multipart/form-data' is not accepted")]
    [InlineData("application/octet-stream", "Content-Type 'application/octet-stream' is not accepted")]
    [InlineData("text/html", "Content-Type 'text/html' is not accepted")]
    [InlineData("application/json; charset=utf-16", "Content-Type charset 'utf-16' is not accepted: send UTF-8")]
    [InlineData("application/json; charset=iso-8859-1", "Content-Type charset 'iso-8859-1' is not accepted")]
    [InlineData("json", "Content-Type 'json' is not a media type")]
    [InlineData("application/json;;;===", "is not a media type")]
    public async Task AddBackend_OtherMediaType_415NamingItNothingHarmed(string contentType, string reasonStart)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await AdminHarness.StartAsync(ct);

        var reply = await harness.Balancer.PostRawAsync("/backend/add", ct, Body($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9","id":"typed"}""", contentType));

        AdminHarness.AssertFailed(reply, HttpStatusCode.UnsupportedMediaType, reasonStart);
        await harness.AssertUnharmedAsync(ct);
    }

    [Fact]
    public async Task AddBackend_HugeBodyWithLength_413BeforeTheBodyIsSentNothingHarmed()
    {
        // As curl sends a large body: Expect: 100-continue. The 413 comes instead of the 100, so the body never travels.
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await AdminHarness.StartAsync(ct);
        var huge = HugeDefinition();

        var reply = await AdminHttp.SendAsync(
            harness.AdminUri, HttpMethod.Post, "/backend/add", ct, new ByteArrayContent(huge), headers: new Dictionary<string, string> { ["Expect"] = "100-continue" });

        AdminHarness.AssertFailed(reply, HttpStatusCode.RequestEntityTooLarge, "request body over 65536 bytes");
        await harness.AssertUnharmedAsync(ct);
    }

    [Fact]
    public async Task AddBackend_HugeChunkedBody_413WhileStillSendingNothingHarmed()
    {
        // No length to refuse up front: the server reads up to the limit, answers 413 and closes while the client still sends.
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await AdminHarness.StartAsync(ct);
        using var timeout = Timeouts.Linked(ct);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(harness.AdminUri.Host, harness.AdminUri.Port, timeout.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /backend/add HTTP/1.1\r\nHost: admin\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"), timeout.Token);
        var response = ReadToEndAsync(stream, timeout.Token);
        var huge = HugeDefinition();
        for (var offset = 0; offset < huge.Length && !response.IsCompleted; offset += 16 * 1024)
        {
            var chunk = huge.AsMemory(offset, Math.Min(16 * 1024, huge.Length - offset));
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"), timeout.Token);
                await stream.WriteAsync(chunk, timeout.Token);
                await stream.WriteAsync("\r\n"u8.ToArray(), timeout.Token);
            }
            catch (IOException)
            {
                break; // the server closed after its answer: what a client that keeps sending sees
            }
        }

        var text = await response;

        Assert.StartsWith("HTTP/1.1 413 ", text, StringComparison.Ordinal);
        Assert.Contains("""{"result":"failed","reason":"request body over 65536 bytes"}""", text, StringComparison.Ordinal);
        await harness.AssertUnharmedAsync(ct);
    }

    /// <summary>A valid backend definition of about 5 MB (a long pass-headers list).</summary>
    private byte[] HugeDefinition()
    {
        var headers = string.Join(',', Enumerable.Repeat("\"X-Padding\"", 400_000));
        var json = Encoding.UTF8.GetBytes($$"""{"url":"ws://{{_faker.Internet.DomainName()}}:9","id":"huge","pass-headers":[{{headers}}]}""");
        Assert.True(json.Length > 4 * 1024 * 1024);
        return json;
    }

    private static async Task<string> ReadToEndAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after the answer: what was received is the answer.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>A method, a path exactly as sent, and the status and reason it must get.</summary>
    public static TheoryData<string, string, HttpStatusCode, string> BadPaths() => new()
    {
        { "POST", "/backend/disable/h%C3%A9llo", HttpStatusCode.NotFound, "unknown backend id 'h\u00e9llo'" },
        { "POST", "/backend/delete/%E2%9C%93%F0%9F%94%A5", HttpStatusCode.NotFound, "unknown backend id '\u2713\U0001F525'" },
        { "POST", "/backend/delete/b1%2Fx", HttpStatusCode.NotFound, "unknown backend id 'b1%2Fx'" },
        { "POST", "/backend/delete/%2Fb1", HttpStatusCode.NotFound, "unknown backend id '%2Fb1'" },
        { "GET", "/backend/config/..%2Fb1", HttpStatusCode.NotFound, "unknown backend id '..%2Fb1'" },
        { "POST", "/backend/enable/%FF", HttpStatusCode.NotFound, "unknown backend id" },
        { "POST", "/backend/delete/..", HttpStatusCode.NotFound, "'.' and '..' segments are resolved" },
        { "POST", "/backend/delete/%2E%2E", HttpStatusCode.NotFound, "'.' and '..' segments are resolved" },
        { "POST", "/backend/delete/b1/..", HttpStatusCode.NotFound, "no admin endpoint POST /backend/delete/b1/..: '.' and '..' segments" },
        { "POST", "/backend/delete/../../backend/list", HttpStatusCode.MethodNotAllowed, "POST /backend/delete/../../backend/list is not allowed: use GET" },
        { "POST", "/backend/delete/b1/extra", HttpStatusCode.NotFound, "no admin endpoint POST /backend/delete/b1/extra" },
        { "POST", "/backend/disable/", HttpStatusCode.NotFound, "missing id: POST /backend/disable/{id}" },
        { "POST", "/backend/disable", HttpStatusCode.NotFound, "missing id: POST /backend/disable/{id}" },
        { "POST", "/backend/delete//", HttpStatusCode.NotFound, "missing id: POST /backend/delete/{id}" },
        { "GET", "/backend/config/", HttpStatusCode.NotFound, "missing id: GET /backend/config/{id}" },
        { "POST", "/session/abort/", HttpStatusCode.NotFound, "missing id: POST /session/abort/{id}" },
        { "POST", "/session/failover/%E2%80%AE", HttpStatusCode.NotFound, "unknown session id" },
        { "POST", "/frontend/pause/%20", HttpStatusCode.NotFound, "unknown frontend id ' '" },
        { "POST", "/plugin/reload/", HttpStatusCode.NotFound, "missing name: POST /plugin/reload/{name}" },
        { "GET", "/no/such/endpoint", HttpStatusCode.NotFound, "no admin endpoint GET /no/such/endpoint" },
        { "DELETE", "/backend/list", HttpStatusCode.MethodNotAllowed, "DELETE /backend/list is not allowed: use GET" },
        { "PUT", "/backend/delete/b1", HttpStatusCode.MethodNotAllowed, "OnlyPostAllowed" },
    };

    [Theory]
    [MemberData(nameof(BadPaths))]
    public async Task Request_OddIdOrPath_ClearStatusAndReasonNothingHarmed(string method, string rawPath, HttpStatusCode status, string reasonPart)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await AdminHarness.StartAsync(ct);
        using var client = new AdminClient(harness.AdminUri);

        var reply = await client.SendAsync(new HttpMethod(method), rawPath, ct);

        AdminHarness.AssertFailed(reply, status, reasonPart);
        await harness.AssertUnharmedAsync(ct);
    }

    [Fact]
    public async Task Request_NulInPath_RefusedByTheServerWhichKeepsAnswering()
    {
        // Kestrel refuses a NUL in the target before the admin pipeline runs: a bare 400, no JSON (documented).
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await AdminHarness.StartAsync(ct);
        using var client = new AdminClient(harness.AdminUri);

        var reply = await client.SendAsync(HttpMethod.Post, "/backend/delete/b1%00", ct);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        await harness.AssertUnharmedAsync(ct);
    }

    [Fact]
    public async Task Endpoint_AdministratorThrows_500WithReasonLoggedOnceServerKeepsAnswering()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = new AdminLogCapture();
        await using var balancer = await TestBalancer.StartAsync([], ct, services: sc =>
        {
            log.AddTo(sc);
            sc.AddSingleton<IBackendDialer>(new ThrowingAdministrator());
        });

        var reply = await balancer.GetAsync("/backend/list", ct);

        AdminHarness.AssertFailed(reply, HttpStatusCode.InternalServerError, "internal error: see the balancer's log");
        var failure = Assert.Single(log.Failures);
        Assert.Equal(1707, failure.EventId); // AdminLog.RequestFailed, not the server's unhandled-exception line
        Assert.IsType<InvalidOperationException>(failure.Exception);
        Assert.Equal(HttpStatusCode.OK, (await balancer.GetAsync("/health", ct)).Status);
        Assert.Equal(HttpStatusCode.OK, (await balancer.GetAsync("/session/list", ct)).Status);
    }

    [Fact]
    public async Task AddBackend_PluginAdministrator_GetsAnyJsonObjectButNeverBadJson()
    {
        // A plugin's administrator defines its own fields: only the API's own rules (one JSON object, UTF-8) apply.
        var ct = TestContext.Current.CancellationToken;
        var administrator = new RecordingAdministrator();
        await using var balancer = await TestBalancer.StartAsync([], ct, services: sc => sc.AddSingleton<IBackendDialer>(administrator));
        var body = $$"""{"endpoint":"{{_faker.Internet.Url()}}","weight":{{_faker.Random.Int(1, 9)}}}""";

        var accepted = await balancer.AddBackendAsync(body, ct);
        var array = await balancer.AddBackendAsync("[]", ct);
        var twice = await balancer.AddBackendAsync("""{"a":1,"a":2}""", ct);
        var xml = await balancer.PostRawAsync("/backend/add", ct, Body(body, "text/xml"));

        Assert.Equal(AdminHttp.Success, accepted.Body);
        AdminHarness.AssertFailed(array, HttpStatusCode.BadRequest, "expected a JSON object");
        AdminHarness.AssertFailed(twice, HttpStatusCode.BadRequest, "field 'a' is given twice");
        AdminHarness.AssertFailed(xml, HttpStatusCode.UnsupportedMediaType, "Content-Type 'text/xml'");
        Assert.Equal([body], administrator.Added);
    }

    private static ByteArrayContent Body(string text, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return content;
    }

    /// <summary>An administrator whose every call throws: a bug in an endpoint's code, as the admin plane meets it.</summary>
    private sealed class ThrowingAdministrator : RecordingAdministrator
    {
        public override string ListBackends() => throw new InvalidOperationException("broken on purpose");
    }

    /// <summary>A plugin-style administrator that records the definitions it is given.</summary>
    private class RecordingAdministrator : IBackendAdministrator
    {
        private readonly List<string> _added = [];

        public IReadOnlyList<string> Added => _added;

        public virtual string ListBackends() => "[]";

        public string AddBackend(ReadOnlyMemory<byte> data)
        {
            _added.Add(Encoding.UTF8.GetString(data.Span));
            return AdminHttp.Success;
        }

        public string BackendConfig(string id) => """{"result":"failed","reason":"unknown"}""";

        public AdminResult DisableBackend(string id) => AdminResult.Failed;

        public AdminResult EnableBackend(string id) => AdminResult.Failed;

        public AdminResult DeleteBackend(string id) => AdminResult.Failed;

        public AdminResult ResetBackend(string id) => AdminResult.Failed;

        public ValueTask<IBackendConnection> DialUpstreamAsync(BackendDialContext context, CancellationToken cancellationToken) =>
            throw new SystemUnavailableException("recording", 503, "no backends here");
    }
}

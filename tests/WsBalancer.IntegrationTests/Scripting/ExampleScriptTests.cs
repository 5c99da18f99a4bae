using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bogus;
using WsBalancer.Host.Scripting;

namespace WsBalancer.IntegrationTests.Scripting;

/// <summary>
/// The example valves of <c>scripts/examples/</c>, each copied unchanged into a scripts folder and run by the real
/// balancer over real echo backends: what its header comment promises, and that other traffic passes untouched.
/// </summary>
public sealed class ExampleScriptTests : IDisposable
{
    private const string LuhnDigits = "0123456789";
    private const string TokenChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

    private readonly Faker _faker = new();
    private readonly ScriptFolder _scripts = new();

    // ---- redact-secrets.js -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(13, "")]
    [InlineData(16, " ")]
    [InlineData(16, "-")]
    [InlineData(19, "")]
    public async Task RedactSecrets_TokenAndLuhnValidCard_RedactedInBothDirections(int cardDigits, string separator)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("redact-secrets.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        var token = _faker.Random.String2(_faker.Random.Int(20, 60), TokenChars) + "==";
        var card = Grouped(LuhnValidNumber(cardDigits), separator);
        var words = _faker.Lorem.Sentence();

        await client.SendTextAsync($"{words} Authorization: Bearer {token}; card {card}.", ct);
        var expected = $"{words} Authorization: Bearer [redacted]; card [redacted].";
        Assert.Equal(expected, await client.ReceiveTextAsync(ct));
        Assert.Equal(expected, Assert.Single((await backend.SingleConnectionAsync(ct)).Received).Text);

        // Backend → client on its own: a backend that leaks a secret is masked as well.
        await (await backend.SingleConnectionAsync(ct)).SendTextAsync($"{{\"auth\":\"bearer {token}\",\"pan\":\"{card}\"}}", ct);
        Assert.Equal("{\"auth\":\"bearer [redacted]\",\"pan\":\"[redacted]\"}", await client.ReceiveTextAsync(ct));
    }

    [Fact]
    public async Task RedactSecrets_LuhnInvalidNumberPlainTextAndBinary_PassUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("redact-secrets.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        var valid = LuhnValidNumber(16);
        var invalid = valid[..^1] + (char)('0' + ((valid[^1] - '0' + 1) % 10)); // one digit off: Luhn always notices
        var order = $"order {Grouped(invalid, " ")} shipped {_faker.Date.Recent().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        var binary = Encoding.UTF8.GetBytes($"Bearer {_faker.Random.String2(30, TokenChars)} {valid}");

        await client.AssertEchoAsync(order, ct);
        await client.AssertEchoAsync(_faker.Lorem.Paragraph(), ct);
        await client.SendBinaryAsync(binary, ct);
        var echoed = await client.ReceiveMessageAsync(ct);

        Assert.Equal(WebSocketMessageType.Binary, echoed.Type);
        Assert.Equal(binary, echoed.Data);
        Assert.Equal(order, (await backend.SingleConnectionAsync(ct)).Received[0].Text);
        var row = (await ScriptFolder.FindAsync(balancer, "redact-secrets.js", ct))!.Value;
        Assert.Equal(0, row.GetProperty("modifies").GetInt64());
        Assert.Equal(0, row.GetProperty("errors").GetInt64());
    }

    // ---- heartbeat.js ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Heartbeat_TextAndJsonPings_AnsweredByTheBalancerBackendNeverSeesThem()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("heartbeat.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);
        var id = _faker.Random.Int(1, 1_000_000);
        var chat = new JsonObject { ["type"] = "chat", ["text"] = _faker.Lorem.Sentence(), ["mood"] = "ping" }.ToJsonString();

        await client.AssertReplyAsync("ping", "pong", ct);
        await client.AssertReplyAsync("{\"type\":\"ping\"}", "{\"type\":\"pong\"}", ct);
        await client.AssertReplyAsync($"{{ \"type\": \"ping\", \"id\": {id} }}", $"{{\"type\":\"pong\",\"id\":{id}}}", ct);
        await client.AssertEchoAsync(chat, ct);       // mentions "ping", is not one
        await client.AssertEchoAsync("ping!", ct);    // only the exact word is a heartbeat
        await client.AssertEchoAsync("[\"ping\"]", ct);

        Assert.Equal([chat, "ping!", "[\"ping\"]"], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
        var row = (await ScriptFolder.FindAsync(balancer, "heartbeat.js", ct))!.Value;
        Assert.Equal(3, row.GetProperty("replies").GetInt64());
        Assert.Equal(3, row.GetProperty("drops").GetInt64());
    }

    // ---- reject-bad-json.js ------------------------------------------------------------------------------------

    [Fact]
    public async Task RejectBadJson_MalformedOnApiPath_ErrorReplyAndDropped()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("reject-bad-json.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync($"/api/{_faker.Random.AlphaNumeric(6)}/stream", ct);
        var good = Order().ToJsonString();
        var truncated = good[..^_faker.Random.Int(1, 5)];

        await client.SendTextAsync(truncated, ct);
        var reply = JsonNode.Parse(await client.ReceiveTextAsync(ct))!.AsObject();
        await client.SendTextAsync("not json at all", ct);
        var second = JsonNode.Parse(await client.ReceiveTextAsync(ct))!.AsObject();
        await client.AssertEchoAsync(good, ct);
        await client.AssertEchoAsync("[1,2,3]", ct); // valid JSON, if not an object, is not this script's business

        Assert.Equal(["error", "detail"], reply.Select(p => p.Key));
        Assert.Equal("malformed JSON", (string?)reply["error"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)reply["detail"]));
        Assert.Equal("malformed JSON", (string?)second["error"]);
        Assert.InRange(((string?)second["detail"])!.Length, 1, 200);
        Assert.Equal([good, "[1,2,3]"], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
    }

    [Theory]
    [InlineData("/api")]
    [InlineData("/chat")]
    public async Task RejectBadJson_PathOutsideOrAtTheMatch_AsTheGlobsSay(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("reject-bad-json.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync(path, ct);
        var text = _faker.Lorem.Sentence();

        await client.SendTextAsync(text, ct);
        var answer = await client.ReceiveTextAsync(ct);

        if (path == "/api")
        {
            Assert.StartsWith("{\"error\":\"malformed JSON\",\"detail\":", answer, StringComparison.Ordinal);
            Assert.Empty((await backend.SingleConnectionAsync(ct)).Received);
        }
        else
        {
            Assert.Equal(text, answer);
        }
    }

    // ---- stamp-timestamp.js ------------------------------------------------------------------------------------

    [Fact]
    public async Task StampTimestamp_JsonObject_GetsReceivedAtAndKeepsItsOwnText()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("stamp-timestamp.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/orders", ct);
        var order = Order();
        // A number past 2^53 and spacing a re-serialization would change: both must reach the backend verbatim.
        var body = order.ToJsonString().TrimStart('{');
        var sent = "{ \"ledger\": 12345678901234567890123, " + body;
        var before = TruncateToMilliseconds(DateTimeOffset.UtcNow);

        await client.SendTextAsync(sent, ct);
        var received = (await (await backend.SingleConnectionAsync(ct)).WaitForMessageAsync(0, ct)).Text;
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(received, await client.ReceiveTextAsync(ct));

        var stamped = JsonNode.Parse(received)!.AsObject();
        var receivedAt = (string)stamped["receivedAt"]!;
        Assert.InRange(ParseStamp(receivedAt), before, after);
        Assert.Equal($"{{\"receivedAt\":\"{receivedAt}\", \"ledger\": 12345678901234567890123, {body}", received);
        foreach (var (key, value) in order)
        {
            Assert.True(JsonNode.DeepEquals(value, stamped[key]), key);
        }
    }

    [Fact]
    public async Task StampTimestamp_NonObjectsAndClientStamp_PassOrAreOverwritten()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("stamp-timestamp.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/orders", ct);
        var plain = _faker.Lorem.Sentence();
        var array = $"[{_faker.Random.Int()},\"{_faker.Lorem.Word()}\"]";
        var broken = "{\"op\": \"" + _faker.Lorem.Word();
        var spoofed = new JsonObject { ["receivedAt"] = "1999-12-31T23:59:59.000Z", ["op"] = _faker.Lorem.Word() };

        await client.AssertEchoAsync(plain, ct);
        await client.AssertEchoAsync(array, ct);
        await client.AssertEchoAsync(broken, ct);
        var before = TruncateToMilliseconds(DateTimeOffset.UtcNow);
        await client.SendTextAsync(spoofed.ToJsonString(), ct);
        var overwritten = JsonNode.Parse(await client.ReceiveTextAsync(ct))!.AsObject();
        await client.SendTextAsync(" {} ", ct);
        var empty = await client.ReceiveTextAsync(ct);
        var after = DateTimeOffset.UtcNow;

        Assert.Equal(["receivedAt", "op"], overwritten.Select(p => p.Key));
        Assert.InRange(ParseStamp((string)overwritten["receivedAt"]!), before, after);
        Assert.Equal((string?)spoofed["op"], (string?)overwritten["op"]);
        Assert.Matches("^ \\{\"receivedAt\":\"[^\"]+\"\\} $", empty);
        Assert.InRange(ParseStamp((string)JsonNode.Parse(empty)!["receivedAt"]!), before, after);
        Assert.Equal([plain, array, broken], (await backend.SingleConnectionAsync(ct)).Received.Take(3).Select(m => m.Text));
    }

    // ---- ocpp-validate.js --------------------------------------------------------------------------------------

    [Fact]
    public async Task OcppValidate_WellFormedFramesOfEveryType_PassBothWays()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-validate.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var charger = await balancer.ConnectAsync(ChargerPath(), ct);
        string[] frames =
        [
            Call("BootNotification", BootPayload()),
            Frame(3, UniqueId(), new JsonObject { ["currentTime"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) }),
            Frame(4, UniqueId(), "NotSupported", _faker.Lorem.Sentence(), new JsonObject()),
            Frame(2, new string('x', 36), "Heartbeat", new JsonObject()), // the longest uniqueId OCPP-J allows
        ];

        foreach (var frame in frames)
        {
            await charger.AssertEchoAsync(frame, ct); // in as the charger's, back as the central system's
        }

        Assert.Equal(frames, (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
        Assert.Equal(0, (await ScriptFolder.FindAsync(balancer, "ocpp-validate.js", ct))!.Value.GetProperty("drops").GetInt64());
    }

    [Theory]
    [InlineData("[2,\"{id}\",\"Heartbeat\"]", "ProtocolError", "frame has 3 elements, expected 4")]
    [InlineData("[2,\"{id}\"]", "ProtocolError", "frame has 2 elements, expected 4")]
    [InlineData("[2,\"{id}\",\"Heartbeat\",{},{}]", "FormationViolation", "frame has 5 elements, expected 4")]
    [InlineData("[2,\"{id}\",42,{}]", "FormationViolation", "element 2 is number, expected string")]
    [InlineData("[2,\"{id}\",\"Heartbeat\",[]]", "FormationViolation", "element 3 is array, expected object")]
    [InlineData("[2,\"{id}\",\"Heartbeat\",null]", "FormationViolation", "element 3 is null, expected object")]
    [InlineData("[2,\"{id}x\",\"Heartbeat\",{}]", "FormationViolation", "uniqueId has 37 characters, expected 1 to 36")]
    public async Task OcppValidate_MalformedCallWithReadableId_CallErrorReplyAndDropped(string template, string code, string description)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-validate.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var charger = await balancer.ConnectAsync(ChargerPath(), ct);
        var frame = template.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        var id = (string)JsonNode.Parse(frame)![1]!;
        var next = Call("Heartbeat", new JsonObject());

        await charger.SendTextAsync(frame, ct);
        var reply = await charger.ReceiveTextAsync(ct);
        await charger.AssertEchoAsync(next, ct);

        // The exact CALLERROR of OCPP-J 1.6 §4.2.3: [4, "<uniqueId of the CALL>", errorCode, errorDescription, {}].
        Assert.Equal(Frame(4, id, code, description, new JsonObject()), reply);
        Assert.Equal([next], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
    }

    [Theory]
    [InlineData("[2,\"{id}\",\"Heartbeat\",{}", false, "not a JSON array")]
    [InlineData("{\"uniqueId\":\"{id}\"}", false, "not a JSON array")]
    [InlineData("[2,\"{id}\",\"Heartbeat\",{}]", true, "malformed binary frame")]
    [InlineData("[5,\"{id}\",\"Heartbeat\",{}]", false, "unknown MessageTypeId")]
    [InlineData("[\"2\",\"{id}\",\"Heartbeat\",{}]", false, "unknown MessageTypeId")]
    [InlineData("[2,42,\"Heartbeat\",{}]", false, "element 1 is number, expected string")]
    [InlineData("[2,\"\",\"Heartbeat\",{}]", false, "uniqueId has 0 characters")]
    [InlineData("[3,\"{id}\"]", false, "frame has 2 elements, expected 3")]
    [InlineData("[3,\"{id}\",\"Accepted\"]", false, "element 2 is string, expected object")]
    [InlineData("[4,\"{id}\",\"GenericError\",\"oops\"]", false, "frame has 4 elements, expected 5")]
    [InlineData("[4,\"{id}\",\"GenericError\",\"oops\",[]]", false, "element 4 is array, expected object")]
    public async Task OcppValidate_OtherMalformedFrames_DroppedWithAWarningThatQuotesNoContent(string template, bool binary, string reason)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-validate.js");
        var log = new ScriptLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, services: log.AddTo, scripts: _scripts.Settings);
        var charger = await balancer.ConnectAsync(ChargerPath(), ct);
        var id = Guid.NewGuid().ToString();
        var frame = template.Replace("{id}", id, StringComparison.Ordinal);
        var next = Call("Heartbeat", new JsonObject());

        if (binary)
        {
            await charger.SendBinaryAsync(Encoding.UTF8.GetBytes(frame), ct);
        }
        else
        {
            await charger.SendTextAsync(frame, ct);
        }

        await charger.AssertEchoAsync(next, ct); // nothing came back before it: no reply to a frame that may not get one

        Assert.Equal([next], (await backend.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
        var warning = Assert.Single(log.Warnings);
        Assert.Contains($"{Encoding.UTF8.GetByteCount(frame)} bytes from the charger", warning, StringComparison.Ordinal);
        Assert.Contains(reason, warning, StringComparison.Ordinal);
        Assert.DoesNotContain(id, warning, StringComparison.Ordinal);
        Assert.DoesNotContain("Heartbeat", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OcppValidate_MalformedFramesFromTheCentralSystem_AnsweredToItNeverReachTheCharger()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-validate.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        backend.Echo = false; // a central system speaks for itself here
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var charger = await balancer.ConnectAsync(ChargerPath(), ct);
        await backend.WaitForConnectionsAsync(1, ct);
        var centralSystem = (await backend.SingleConnectionAsync(ct));
        var id = UniqueId();
        var reset = Call("Reset", new JsonObject { ["type"] = "Soft" });

        await centralSystem.SendTextAsync($"[2,\"{id}\",\"Reset\"]", ct);
        await centralSystem.SendTextAsync($"[3,\"{UniqueId()}\"]", ct);
        await centralSystem.SendTextAsync(reset, ct);

        Assert.Equal(reset, await charger.ReceiveTextAsync(ct)); // the first the charger gets
        Assert.Equal(Frame(4, id, "ProtocolError", "frame has 3 elements, expected 4", new JsonObject()), (await centralSystem.WaitForMessageAsync(0, ct)).Text);
        Assert.Single(centralSystem.Received);
    }

    [Fact]
    public async Task OcppValidate_SessionOutsideOcpp_NotValidated()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-validate.js");
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, scripts: _scripts.Settings);
        var client = await balancer.ConnectAsync("/ws", ct);

        await client.AssertEchoAsync("[2,\"id\",\"Heartbeat\"]", ct);
        await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
    }

    /// <remarks>
    /// The console's rate limit is per script, across sessions: a fleet of chargers that each send one bad frame must
    /// not write one warning per charger.
    /// </remarks>
    [Fact]
    public async Task OcppValidate_ManyChargersEachSendABadFrame_ConsoleWarningsCappedPerScript()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-validate.js");
        var log = new ScriptLogCapture();
        await using var backend = await TestBackend.StartAsync("b1", ct);
        await using var balancer = await TestBalancer.StartAsync([backend], ct, services: log.AddTo, scripts: _scripts.Settings);
        const int chargers = 30;

        await Task.WhenAll(Enumerable.Range(0, chargers).Select(async _ =>
        {
            var charger = await balancer.ConnectAsync(ChargerPath(), ct);
            await charger.SendTextAsync("not a frame", ct);
            await charger.AssertEchoAsync(Call("Heartbeat", new JsonObject()), ct); // the warning was written before this echo
        }));

        Assert.InRange(log.Warnings.Count(), 1, ScriptConsole.MaxLinesPerWindow);
    }

    // ---- ocpp-boot-replay.js -----------------------------------------------------------------------------------

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public async Task OcppBootReplay_BackendKilled_SurvivorHearsTheBootFirstAndItsAnswerNeverReachesTheCharger(int answerType)
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-boot-replay.js");
        await using var first = await TestBackend.StartAsync("b1", ct);
        await using var second = await TestBackend.StartAsync("b2", ct);
        await using var balancer = await TestBalancer.StartAsync([first, second], ct, scripts: _scripts.Settings);
        var charger = await balancer.ConnectAsync(ChargerPath(), ct);
        var (dying, surviving) = (await balancer.SingleSessionAsync(ct)).BackendId == "b1" ? (first, second) : (second, first);
        surviving.Echo = false; // the new central system answers as a real one would, below
        var boot = BootPayload();
        var bootCall = Call("BootNotification", boot);
        await charger.AssertEchoAsync(bootCall, ct);             // the original boot passes unchanged
        await charger.AssertEchoAsync(Call("Heartbeat", new JsonObject()), ct);

        dying.AbortAll();
        await balancer.WaitForReconnectsAsync(1, ct);
        await surviving.WaitForConnectionsAsync(1, ct);
        var centralSystem = (await surviving.SingleConnectionAsync(ct));
        var replayed = JsonNode.Parse((await centralSystem.WaitForMessageAsync(0, ct)).Text)!.AsArray();

        Assert.Equal(4, replayed.Count);
        Assert.Equal(2, (int)replayed[0]!);
        var replayId = (string)replayed[1]!;
        Assert.Equal("wsb-boot-1", replayId); // fresh: never the charger's own uniqueId
        Assert.Equal("BootNotification", (string?)replayed[2]);
        Assert.True(JsonNode.DeepEquals(boot, replayed[3]));

        var answer = answerType == 3
            ? Frame(3, replayId, new JsonObject { ["status"] = "Accepted", ["currentTime"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), ["interval"] = 300 })
            : Frame(4, replayId, "InternalError", "busy", new JsonObject());
        await centralSystem.SendTextAsync(answer, ct);
        var heartbeatId = UniqueId();
        await charger.SendTextAsync(Frame(2, heartbeatId, "Heartbeat", new JsonObject()), ct);
        Assert.Equal(heartbeatId, (string?)JsonNode.Parse((await centralSystem.WaitForMessageAsync(1, ct)).Text)![1]);
        var heartbeatResult = Frame(3, heartbeatId, new JsonObject { ["currentTime"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) });
        await centralSystem.SendTextAsync(heartbeatResult, ct);

        // Sent after the answer to the replay on the same connection: had that answer got through, it would be first.
        Assert.Equal(heartbeatResult, await charger.ReceiveTextAsync(ct));
        Assert.Equal(1, (await ScriptFolder.FindAsync(balancer, "ocpp-boot-replay.js", ct))!.Value.GetProperty("drops").GetInt64());
    }

    [Fact]
    public async Task OcppBootReplay_NoBootBeforeTheFailover_NothingReplayedAndTrafficUntouched()
    {
        var ct = TestContext.Current.CancellationToken;
        _scripts.Install("ocpp-boot-replay.js");
        await using var first = await TestBackend.StartAsync("b1", ct);
        await using var second = await TestBackend.StartAsync("b2", ct);
        await using var balancer = await TestBalancer.StartAsync([first, second], ct, scripts: _scripts.Settings);
        var charger = await balancer.ConnectAsync(ChargerPath(), ct);
        var (dying, surviving) = (await balancer.SingleSessionAsync(ct)).BackendId == "b1" ? (first, second) : (second, first);
        var status = Call("StatusNotification", new JsonObject { ["connectorId"] = 1, ["errorCode"] = "NoError", ["status"] = "Available" });
        await charger.AssertEchoAsync(status, ct);

        dying.AbortAll();
        await balancer.WaitForReconnectsAsync(1, ct);
        var after = Call("Heartbeat", new JsonObject());
        await charger.AssertEchoAsync(after, ct);
        await charger.AssertEchoAsync("[3,\"wsb-boot-1\",{}]", ct); // no replay pending: such an answer is not swallowed

        Assert.Equal([after, "[3,\"wsb-boot-1\",{}]"], (await surviving.SingleConnectionAsync(ct)).Received.Select(m => m.Text));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private string ChargerPath() => "/ocpp/" + _faker.Random.AlphaNumeric(10).ToUpperInvariant();

    private static string UniqueId() => Guid.NewGuid().ToString();

    private JsonObject BootPayload() => new()
    {
        ["chargePointVendor"] = _faker.Company.CompanyName(),
        ["chargePointModel"] = _faker.Commerce.ProductName(),
        ["chargePointSerialNumber"] = _faker.Random.AlphaNumeric(16).ToUpperInvariant(),
        ["firmwareVersion"] = _faker.System.Semver(),
    };

    private static string Call(string action, JsonObject payload) => Frame(2, UniqueId(), action, payload);

    /// <summary>An OCPP-J frame as compact JSON text: the MessageTypeId, then the elements in order.</summary>
    private static string Frame(int type, params JsonNode?[] elements) =>
        new JsonArray([JsonValue.Create(type), .. elements.Select(e => e?.DeepClone())]).ToJsonString();

    private JsonObject Order() => new()
    {
        ["op"] = "order",
        ["customer"] = _faker.Name.FullName(),
        ["email"] = _faker.Internet.Email(),
        ["sku"] = _faker.Commerce.Ean13(),
        ["qty"] = _faker.Random.Int(1, 50),
        ["price"] = _faker.Random.Decimal(1, 999),
        ["tags"] = new JsonArray(_faker.Commerce.Categories(2).Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
        ["gift"] = _faker.Random.Bool(),
    };

    /// <summary>Random digits whose last one is the Luhn check digit.</summary>
    private string LuhnValidNumber(int length)
    {
        var body = _faker.Random.String2(1, "123456789") + _faker.Random.String2(length - 2, LuhnDigits);
        var sum = 0;
        for (int i = body.Length - 1, position = 0; i >= 0; i--, position++)
        {
            var digit = body[i] - '0';
            if (position % 2 == 0 && (digit *= 2) > 9)
            {
                digit -= 9; // the rightmost digit of the body is doubled: the check digit will follow it
            }

            sum += digit;
        }

        return body + (char)('0' + ((10 - (sum % 10)) % 10));
    }

    private static string Grouped(string digits, string separator) =>
        separator.Length == 0 ? digits : string.Join(separator, digits.Chunk(4).Select(c => new string(c)));

    /// <summary>ISO-8601 as Date.toISOString writes it: UTC, milliseconds, a Z; anything else fails the test.</summary>
    private static DateTimeOffset ParseStamp(string text)
    {
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", text);
        return DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerMillisecond), value.Offset);

    public void Dispose() => _scripts.Dispose();
}

using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Bogus;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>"A script written for the ancestor's admin API runs unchanged": a blue/green move done the ancestor's way.</summary>
public sealed class AncestorScriptTests
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task BlueGreenScript_AncestorCallsOnly_SessionsMoveAndComeBackWithoutDisconnect()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var blue = await TestBackend.StartAsync("blue", ct);
        await using var green = await TestBackend.StartAsync("green", ct);
        await using var balancer = await TestBalancer.StartAsync([blue], ct);
        var clients = new List<ClientWebSocket>();
        for (var i = 0; i < 3; i++)
        {
            var client = await balancer.ConnectAsync($"/charger/{_faker.Random.AlphaNumeric(8)}", ct);
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
            clients.Add(client);
        }

        var script = new AncestorScript(balancer.Admin.BaseAddress!);

        // curl -d '{...}' http://admin/backend/add  (every field the ancestor's newBackendDef had)
        var added = await script.PostAsync("/backend/add", ct, $$"""
            {"url":"{{green.Url}}","id":"green","ping-time":"10m0s","read-buffer-size":1024,"write-buffer-size":1024,
             "breaker-threshold":10,"handshake-timeout":"10s","pass-headers":[],"abnormal-close-codes":[1006,1001,1011,1005,1013]}
            """);
        var disabled = await script.PostAsync("/backend/disable/blue", ct);
        var failedOver = await script.PostAsync("/backend/failover/blue", ct);
        var onGreen = JsonSerializer.Deserialize<JsonElement>(await script.GetAsync("/session/list", ct));
        foreach (var client in clients)
        {
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        var enabled = await script.PostAsync("/backend/enable/blue", ct);
        var deleted = await script.PostAsync("/backend/delete/green", ct);
        var onBlue = JsonSerializer.Deserialize<JsonElement>(await script.GetAsync("/session/list", ct));
        foreach (var client in clients)
        {
            await client.AssertEchoAsync(_faker.Lorem.Sentence(), ct);
        }

        var backends = JsonSerializer.Deserialize<JsonElement>(await script.GetAsync("/backend/list", ct));

        Assert.Equal(AdminHttp.Success, added);
        Assert.Equal(AdminHttp.Success, disabled);
        Assert.Equal(AdminHttp.Success, failedOver);
        Assert.Equal(3, onGreen.GetArrayLength());
        Assert.All(onGreen.EnumerateArray(), s => Assert.Equal("green", s.GetProperty("backendId").GetString()));
        Assert.Equal(3, green.Connections.Count);
        Assert.Equal(AdminHttp.Success, enabled);
        Assert.Equal(AdminHttp.Success, deleted);
        Assert.Equal(3, onBlue.GetArrayLength());
        Assert.All(onBlue.EnumerateArray(), s => Assert.Equal("blue", s.GetProperty("backendId").GetString()));
        Assert.All(onBlue.EnumerateArray(), s => Assert.Equal(2, s.GetProperty("reconnects").GetInt32()));
        Assert.Equal(["blue"], backends.EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.All(clients, c => Assert.Equal(WebSocketState.Open, c.State));
        Assert.Equal(6, blue.Connections.Count);
    }

    /// <summary>What a shell script with curl does: no headers of its own, bodies sent the way <c>curl -d</c> sends them.</summary>
    private sealed class AncestorScript(Uri admin)
    {
        public async Task<string> GetAsync(string path, CancellationToken cancellationToken)
        {
            var reply = await AdminHttp.SendAsync(admin, HttpMethod.Get, path, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            return reply.Body;
        }

        public async Task<string> PostAsync(string path, CancellationToken cancellationToken, string? data = null)
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(data ?? string.Empty));
            if (data is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded"); // curl -d's default
            }

            var reply = await AdminHttp.SendAsync(admin, HttpMethod.Post, path, cancellationToken, content);
            return reply.Body;
        }
    }
}

using System.Net;
using Bogus;
using WsBalancer.IntegrationTests.Process;

namespace WsBalancer.IntegrationTests.Admin;

/// <summary>The real executable: an admin listener open to the network needs a token, and the token is never printed.</summary>
public sealed class AdminProcessTests
{
    private static readonly string[] OpenAdmin = ["--demo", "--server:frontend:address=127.0.0.1:0", "--server:admin:address=0.0.0.0:0"];

    private readonly Faker _faker = new();

    [Fact]
    public async Task Process_AdminOnEveryInterfaceWithoutToken_ExitsWithCode2AndOneLineNamingTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = HostProcess.Start(OpenAdmin);

        var exitCode = await host.WaitForExitAsync(ct);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(host.StandardError);
        Assert.Contains("server.admin.address", line);
        Assert.DoesNotContain(host.StandardOutput, l => l.Contains("listening", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Process_AdminOnEveryInterfaceWithToken_StartsAndNeverPrintsToken()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = _faker.Random.AlphaNumeric(_faker.Random.Int(16, 48));
        await using var host = HostProcess.Start(OpenAdmin, new Dictionary<string, string> { ["ADM_TOKEN"] = token });
        var (_, admin) = await host.WaitForListeningAsync(ct);

        var missing = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/backend/list", ct);
        var wrong = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/backend/list", ct, authorization: AdminHttp.Bearer(_faker.Random.AlphaNumeric(32)));
        var right = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/backend/list", ct, authorization: AdminHttp.Bearer(token));
        var health = await AdminHttp.SendAsync(admin, HttpMethod.Get, "/health", ct);
        // The refusals are logged (a warning each): once they show, everything the requests caused has been printed.
        await WaitForOutputAsync(host, lines => lines.Count(l => l.Contains("refused", StringComparison.Ordinal)) >= 2, ct);

        Assert.Equal((HttpStatusCode.Unauthorized, AdminHttp.Unauthorized), (missing.Status, missing.Body));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal(HttpStatusCode.OK, right.Status);
        Assert.Equal(["echo-1", "echo-2"], right.Json.EnumerateArray().Select(b => b.GetProperty("id").GetString()).Order());
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.DoesNotContain(host.StandardOutput, l => l.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(host.StandardError, l => l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Process_TokenTooShort_ExitsWithCode2NamingTheKeyButNotTheToken()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = _faker.Random.AlphaNumeric(_faker.Random.Int(10, 15));
        await using var host = HostProcess.Start(OpenAdmin, new Dictionary<string, string> { ["ADM_TOKEN"] = token });

        var exitCode = await host.WaitForExitAsync(ct);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(host.StandardError);
        Assert.Contains("ADM_TOKEN", line);
        Assert.DoesNotContain(token, line);
        Assert.DoesNotContain(host.StandardOutput, l => l.Contains(token, StringComparison.Ordinal));
    }

    private static async Task WaitForOutputAsync(HostProcess host, Func<IReadOnlyList<string>, bool> condition, CancellationToken cancellationToken)
    {
        using var timeout = Timeouts.Linked(cancellationToken);
        while (!condition([.. host.StandardOutput, .. host.StandardError]))
        {
            await Task.Delay(20, timeout.Token); // the child's output arrives on its own schedule: polled, bounded by the timeout
        }
    }
}

using Bogus;
using WsBalancer.Host.Admin;
using WsBalancer.Host.Configuration;

namespace WsBalancer.Host.Tests.Configuration;

/// <summary>server.admin.read-token (ADM_READ_TOKEN): read, validated like the admin token, and never enough alone.</summary>
public sealed class AdminReadTokenSettingsTests : IDisposable
{
    private readonly ConfigurationSandbox _sandbox = new();
    private readonly Faker _faker = new() { Random = new Randomizer(1702) };

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Load_Nothing_NoReadToken()
    {
        Assert.Null(_sandbox.Load().Server.AdminReadToken);
    }

    [Fact]
    public void Load_BothTokensFromEnvironment_Set()
    {
        var admin = _faker.Random.AlphaNumeric(32);
        var read = _faker.Random.AlphaNumeric(24);
        _sandbox.Environment["ADM_TOKEN"] = admin;
        _sandbox.Environment["ADM_READ_TOKEN"] = read;

        var server = _sandbox.Load().Server;

        Assert.Equal(admin, server.AdminToken);
        Assert.Equal(read, server.AdminReadToken);
    }

    [Fact]
    public void Load_ReadTokenFromYaml_Set()
    {
        var admin = _faker.Random.AlphaNumeric(32);
        var read = _faker.Random.AlphaNumeric(20);

        var server = _sandbox.LoadYaml($"server: {{ admin: {{ token: '{admin}', read-token: '{read}' }} }}").Server;

        Assert.Equal(read, server.AdminReadToken);
    }

    [Fact]
    public void Load_ReadTokenWithoutAdminToken_ErrorNamesReadTokenWithoutShowingIt()
    {
        var read = _faker.Random.AlphaNumeric(24);
        _sandbox.Environment["ADM_READ_TOKEN"] = read;

        var error = _sandbox.LoadFails("ADM_READ_TOKEN", SettingsReader.RedactedValue);

        Assert.Contains("together with an admin token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(read, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReadTokenEqualToAdminToken_Error()
    {
        var token = _faker.Random.AlphaNumeric(24);

        var error = _sandbox.LoadFails("server.admin.read-token", SettingsReader.RedactedValue, $"--server:admin:token={token}", $"--server:admin:read-token={token}");

        Assert.Contains("different from the admin token", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ShortReadToken_ErrorLikeTheAdminToken()
    {
        _sandbox.Environment["ADM_TOKEN"] = _faker.Random.AlphaNumeric(32);
        _sandbox.Environment["ADM_READ_TOKEN"] = _faker.Random.AlphaNumeric(8);

        var error = _sandbox.LoadFails("ADM_READ_TOKEN", SettingsReader.RedactedValue);

        Assert.Contains("at least 16 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_ReadToken_Redacted()
    {
        var read = _faker.Random.AlphaNumeric(24);
        _sandbox.Environment["ADM_TOKEN"] = _faker.Random.AlphaNumeric(32);
        _sandbox.Environment["ADM_READ_TOKEN"] = read;

        var text = _sandbox.Load().Server.ToString();

        Assert.Contains("AdminReadToken = <redacted>", text, StringComparison.Ordinal);
        Assert.DoesNotContain(read, text, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureSafe_OffLoopbackWithOnlyAReadToken_Refused()
    {
        // A read token protects no action: an admin API open to the network still needs the admin token.
        var server = new ServerSettings
        {
            Admin = new ListenerSettings { Address = ListenAddress.Parse("0.0.0.0:8081") },
            AdminReadToken = _faker.Random.AlphaNumeric(24),
        };

        var error = Assert.Throws<ConfigurationErrorException>(() => AdminAccess.EnsureSafe(server));

        Assert.Equal("server.admin.address", error.Key);
    }

    [Fact]
    public void EnsureSafe_OffLoopbackWithBothTokens_Accepted()
    {
        AdminAccess.EnsureSafe(new ServerSettings
        {
            Admin = new ListenerSettings { Address = ListenAddress.Parse("0.0.0.0:8081") },
            AdminToken = _faker.Random.AlphaNumeric(32),
            AdminReadToken = _faker.Random.AlphaNumeric(24),
        });
    }
}

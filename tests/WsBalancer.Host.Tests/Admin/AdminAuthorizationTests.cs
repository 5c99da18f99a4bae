using Bogus;
using Microsoft.AspNetCore.Http;
using WsBalancer.Host.Admin;
using WsBalancer.Host.AdminPage;

namespace WsBalancer.Host.Tests.Admin;

/// <summary>Who may make which admin request: the admin token, the read-only token (GET only), none, and the public paths.</summary>
public sealed class AdminAuthorizationTests
{
    private readonly Faker _faker = new() { Random = new Randomizer(1701) };
    private readonly string _admin;
    private readonly string _read;
    private readonly AdminCredentials _both;

    public AdminAuthorizationTests()
    {
        _admin = _faker.Random.AlphaNumeric(32);
        _read = _faker.Random.AlphaNumeric(32);
        _both = new AdminCredentials(_admin, _read);
    }

    private (AdminVerdict Verdict, AdminRole? Role) Decide(string method, string path, string? authorization, AdminCredentials? credentials = null) =>
        AdminAuthorization.Decide(credentials ?? _both, method, new PathString(path), authorization, PageAssets.IsPagePath);

    [Theory]
    [InlineData("GET", "/backend/list")]
    [InlineData("POST", "/backend/disable/b1")]
    [InlineData("POST", "/frontend/pause/-8080")]
    public void Decide_NoTokenConfigured_EveryoneIsAdmin(string method, string path)
    {
        Assert.Equal((AdminVerdict.Allowed, AdminRole.Admin), Decide(method, path, null, new AdminCredentials(null, null)));
    }

    [Theory]
    [InlineData("GET", "/session/list")]
    [InlineData("POST", "/session/abort/1")]
    [InlineData("DELETE", "/backend/delete/b1")]
    public void Decide_AdminToken_AllowedAsAdmin(string method, string path)
    {
        Assert.Equal((AdminVerdict.Allowed, AdminRole.Admin), Decide(method, path, $"Bearer {_admin}"));
        Assert.Equal((AdminVerdict.Allowed, AdminRole.Admin), Decide(method, path, $"bearer   {_admin} "));
    }

    [Theory]
    [InlineData("GET", "/backend/list")]
    [InlineData("GET", "/metrics")]
    [InlineData("HEAD", "/stats")]
    [InlineData("GET", "/admin/whoami")]
    public void Decide_ReadTokenOnRead_AllowedAsRead(string method, string path)
    {
        Assert.Equal((AdminVerdict.Allowed, AdminRole.Read), Decide(method, path, $"Bearer {_read}"));
    }

    [Theory]
    [InlineData("POST", "/backend/disable/b1")]
    [InlineData("POST", "/backend/add")]
    [InlineData("PUT", "/backend/list")]
    [InlineData("DELETE", "/session/list")]
    [InlineData("POST", "/")]
    public void Decide_ReadTokenOnAnythingElse_ReadOnly(string method, string path)
    {
        Assert.Equal((AdminVerdict.ReadOnly, AdminRole.Read), Decide(method, path, $"Bearer {_read}"));
    }

    [Fact]
    public void Decide_MissingOrWrongToken_Unauthorized()
    {
        string?[] presented = [null, "", "Bearer", $"Bearer {_faker.Random.AlphaNumeric(32)}", $"Bearer {_admin}x", $"Basic {_admin}", _admin, $"Bearer {_read[..^1]}"];
        foreach (var authorization in presented)
        {
            Assert.Equal((AdminVerdict.Unauthorized, null), Decide("GET", "/backend/list", authorization));
        }
    }

    [Theory]
    [InlineData("GET", "/health")]
    [InlineData("POST", "/health")]
    [InlineData("GET", "/")]
    [InlineData("HEAD", "/")]
    [InlineData("GET", "/assets/app.css")]
    [InlineData("GET", "/assets/js/views/sessions.js")]
    public void Decide_HealthAndPageFiles_PublicWithoutToken(string method, string path)
    {
        Assert.Equal((AdminVerdict.Public, null), Decide(method, path, null));
    }

    [Theory]
    [InlineData("POST", "/")]
    [InlineData("POST", "/assets/app.css")]
    [InlineData("GET", "/assetsx/app.css")]
    [InlineData("GET", "/index.html")]
    [InlineData("GET", "/no/such/endpoint")]
    public void Decide_NotAPageRead_NeedsToken(string method, string path)
    {
        Assert.Equal((AdminVerdict.Unauthorized, null), Decide(method, path, null));
    }

    [Fact]
    public void Decide_OnlyReadTokenConfigured_ItIsStillReadOnly()
    {
        // The settings refuse this combination; the guard must not turn a lone read token into an admin one either.
        var credentials = new AdminCredentials(null, _read);

        Assert.Equal((AdminVerdict.ReadOnly, AdminRole.Read), Decide("POST", "/backend/disable/b1", $"Bearer {_read}", credentials));
        Assert.Equal((AdminVerdict.Unauthorized, null), Decide("POST", "/backend/disable/b1", null, credentials));
    }
}

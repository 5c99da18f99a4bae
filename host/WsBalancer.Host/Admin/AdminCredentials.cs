using System.Security.Cryptography;
using System.Text;

namespace WsBalancer.Host.Admin;

/// <summary>The configured bearer tokens, kept only as hashes, and which role a presented Authorization header has.</summary>
internal sealed class AdminCredentials
{
    private const string Scheme = "Bearer ";

    private readonly byte[]? _admin;
    private readonly byte[]? _read;

    public AdminCredentials(string? adminToken, string? readToken)
    {
        _admin = adminToken is null ? null : Hash(adminToken);
        _read = readToken is null ? null : Hash(readToken);
    }

    /// <summary>False when no token is configured: the API is open (to loopback callers, see <see cref="AdminAccess.EnsureSafe"/>).</summary>
    public bool Required => _admin is not null || _read is not null;

    /// <summary>The role of the presented header, or null when it holds no configured token.</summary>
    public AdminRole? RoleOf(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var presented = Hash(authorization[Scheme.Length..].Trim());
        // Both comparisons always run, so the time taken says nothing about which token (if any) was close.
        var isAdmin = _admin is not null && CryptographicOperations.FixedTimeEquals(presented, _admin);
        var isRead = _read is not null && CryptographicOperations.FixedTimeEquals(presented, _read);
        return isAdmin ? AdminRole.Admin : isRead ? AdminRole.Read : null;
    }

    // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

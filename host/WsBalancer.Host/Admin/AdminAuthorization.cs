using Microsoft.AspNetCore.Http;

namespace WsBalancer.Host.Admin;

/// <summary>The verdict on one admin request.</summary>
internal enum AdminVerdict
{
    /// <summary>Go on; the caller's role is known.</summary>
    Allowed,

    /// <summary>Public without a token: <c>/health</c> and the web page's own files (they hold no secret).</summary>
    Public,

    /// <summary>No token, or not one of the configured ones: 401.</summary>
    Unauthorized,

    /// <summary>The read-only token on a request that is not a GET: 403.</summary>
    ReadOnly,
}

/// <summary>Decides who may make an admin request, from its method, path and Authorization header.</summary>
internal static class AdminAuthorization
{
    /// <param name="isPagePath">True for the paths of the web page's files, served to anyone on GET and HEAD.</param>
    public static (AdminVerdict Verdict, AdminRole? Role) Decide(
        AdminCredentials credentials, string method, PathString path, string? authorization, Func<PathString, bool> isPagePath)
    {
        if (!credentials.Required)
        {
            return (AdminVerdict.Allowed, AdminRole.Admin);
        }

        var reads = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if (path.Equals("/health", StringComparison.Ordinal) || (reads && isPagePath(path)))
        {
            return (AdminVerdict.Public, null);
        }

        return credentials.RoleOf(authorization) switch
        {
            AdminRole.Admin => (AdminVerdict.Allowed, AdminRole.Admin),
            AdminRole.Read when reads => (AdminVerdict.Allowed, AdminRole.Read),
            AdminRole.Read => (AdminVerdict.ReadOnly, AdminRole.Read),
            _ => (AdminVerdict.Unauthorized, null),
        };
    }
}

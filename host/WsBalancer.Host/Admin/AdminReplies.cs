using Microsoft.AspNetCore.Http;
using WsBalancer.Sdk;

namespace WsBalancer.Host.Admin;

/// <summary>The ancestor's reply bodies, byte for byte, so operators' scripts keep matching them.</summary>
internal static class AdminReplies
{
    public static IResult Success { get; } = Results.Text("""{"result":"success"}""", "application/json");

    public static IResult NoActionRequired { get; } = Results.Text("""{"result":"success","reason":"NoActionRequired"}""", "application/json");

    public static IResult Failed(string reason, int status) =>
        Results.Json(new { result = "failed", reason }, statusCode: status);

    public static IResult Json(string json, int status = StatusCodes.Status200OK) =>
        Results.Text(json, "application/json", statusCode: status);

    public static IResult From(AdminResult result, string unknownWhat, string id) => result switch
    {
        AdminResult.Success => Success,
        AdminResult.NoActionRequired => NoActionRequired,
        _ => Failed($"unknown {unknownWhat} id '{id}'", StatusCodes.Status404NotFound),
    };
}

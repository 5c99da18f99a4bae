using System.Text.Json.Serialization;

namespace WsBalancer.Host.Admin;

/// <summary>One page of sessions: <c>{total, offset, limit, items}</c>; <see cref="Total"/> counts every match.</summary>
internal sealed record SessionPage(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("offset")] int Offset,
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("items")] IReadOnlyList<SessionRow> Items);

using System.Text;
using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>One readable line per result for the terminal.</summary>
internal static class HumanLine
{
    private static readonly string[] Skipped = ["scenario", "target", "lastError", "killReply"];

    public static string Of(JsonObject result)
    {
        var line = new StringBuilder();
        line.Append(result["target"]?.ToString()).Append(' ').Append(result["scenario"]?.ToString()).Append(':');
        foreach (var (key, value) in result)
        {
            if (value is null || Array.IndexOf(Skipped, key) >= 0)
            {
                continue;
            }

            line.Append(' ').Append(key).Append('=').Append(value.ToJsonString());
        }

        if (result["lastError"] is JsonNode error)
        {
            line.Append(" lastError=").Append(error.ToJsonString());
        }

        return line.ToString();
    }
}

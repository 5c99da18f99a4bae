using System.Text.Json.Nodes;

namespace WsBalancer.Bench.Load;

/// <summary>
/// <c>--label NAME</c> and <c>--round N</c>: what the JSON line calls the scenario and which round of a repeated
/// measurement it is. run.sh's valve-overhead phase runs the plain echo scenario several times per target; the label
/// ("echo-overhead") keeps those lines out of the main table's echo row and the round lets the report show the spread.
/// </summary>
internal sealed class ResultLabel
{
    private readonly string? _scenario;
    private readonly int? _round;

    private ResultLabel(string? scenario, int? round)
    {
        _scenario = scenario;
        _round = round;
    }

    public static ResultLabel Read(LoadArguments args)
    {
        var scenario = args.OptionalString("label");
        int? round = args.OptionalString("round") is null ? null : args.Int("round", 0);
        return new ResultLabel(scenario, round);
    }

    public void ApplyTo(JsonObject result)
    {
        if (_scenario is not null)
        {
            result["scenario"] = _scenario;
        }

        if (_round is int round)
        {
            // Next to scenario and target, where a reader of the JSON line or the terminal line looks first.
            result.Remove("round");
            result.Insert(Math.Min(2, result.Count), "round", round);
        }
    }
}

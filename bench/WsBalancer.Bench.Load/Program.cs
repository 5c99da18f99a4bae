using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using WsBalancer.Bench.Load;
using WsBalancer.Bench.Load.Scenarios;

// The benchmark load generator: one scenario per run, one JSON line on stdout, one human line on stderr.
// `report` turns the JSON lines of a whole run into bench/RESULTS.md.
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Error.WriteLine(Usage.Text);
    return args.Length == 0 ? 2 : 0;
}

LoadArguments arguments;
try
{
    arguments = LoadArguments.Parse(args);
    if (arguments.Scenario == "report")
    {
        return ReportWriter.Run(arguments);
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

JsonObject result;
string target;
try
{
    target = arguments.String("target", "unnamed");
    var url = new Uri(arguments.RequiredString("url"));
    var timeout = arguments.Seconds("timeout", 600);
    var outFile = arguments.OptionalString("out");
    var label = ResultLabel.Read(arguments);
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeout));
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cts.Cancel();
    };
    using var connector = new Connector(url);
    var context = new ScenarioContext(arguments, connector, new ProcessProbe(arguments.Pids("target-pids")), new ProcessProbe(arguments.Pids("backend-pids")), cts.Token);
    try
    {
        result = arguments.Scenario switch
        {
            "echo" => await EchoScenario.RunAsync(context),
            "pipelined" => await StreamScenario.RunAsync(context, bulk: false),
            "bulk" => await StreamScenario.RunAsync(context, bulk: true),
            "idle" => await IdleScenario.RunAsync(context),
            "churn" => await ChurnScenario.RunAsync(context),
            "failover" => await FailoverScenario.RunAsync(context),
            _ => throw new ArgumentException($"unknown scenario '{arguments.Scenario}'"),
        };
    }
    catch (Exception ex) when (ex is not ArgumentException)
    {
        // A target that refuses or breaks is a result, not a crash of the harness.
        result = ScenarioContext.NewResult(arguments.Scenario, target);
        result["ok"] = false;
        result["error"] = cts.IsCancellationRequested ? $"timed out after {timeout} s" : $"{ex.GetType().Name}: {ex.Message}";
    }

    label.ApplyTo(result);
    var line = result.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    Console.Out.WriteLine(line);
    if (outFile is not null)
    {
        await File.AppendAllTextAsync(outFile, line + "\n", CancellationToken.None);
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

Console.Error.WriteLine(HumanLine.Of(result));
return result["ok"]?.GetValue<bool>() == true ? 0 : 1;

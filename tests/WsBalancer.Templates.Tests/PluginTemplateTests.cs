using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Bogus;

namespace WsBalancer.Templates.Tests;

/// <summary>A newcomer's path: generate a plugin from the installed template, run its tests, publish its folder.</summary>
[Collection(PackedKitCollection.Name)]
public sealed partial class PluginTemplateTests(PackedKit kit)
{
    private readonly Faker _faker = new();

    [Fact]
    public async Task NewPlugin_WithSdkFeed_ItsTestsPassAndItPublishesAPluginFolder()
    {
        var ct = TestContext.Current.CancellationToken;
        using var output = new TempDirectory("plugin");
        var name = PluginName();

        await NewPluginAsync(name, output.Path, ["--sdk-feed", kit.FeedDirectory], ct);

        Assert.Equal([kit.FeedDirectory, "https://api.nuget.org/v3/index.json"], PackageSources(output.Path));
        Assert.Equal(kit.SdkVersion, SdkReferenceVersion(Path.Combine(output.Path, name, name + ".csproj")));
        await ReplaceStaleCachedSdkAsync(ct);

        var test = (await DotnetCli.RunAsync(
            output.Path, ["test", $"{name}.Tests/{name}.Tests.csproj", "-c", "Release"], Timeouts.Build, ct)).AssertSucceeded();
        var summary = TestSummary().Match(test.Output);
        Assert.True(summary.Success, $"no test summary in the output of `{test.Command}`:\n{test.Output}");
        Assert.Equal("0", summary.Groups["failed"].Value);
        Assert.True(int.Parse(summary.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, test.Output);

        var pluginFolder = Path.Combine(output.Path, "plugins", name);
        (await DotnetCli.RunAsync(output.Path, ["publish", name, "-c", "Release", "-o", pluginFolder], Timeouts.Build, ct)).AssertSucceeded();
        Assert.True(File.Exists(Path.Combine(pluginFolder, name + ".dll")), $"no {name}.dll in {pluginFolder}");
        // The host's copy of the contract (and of its logging dependency) is the only one the plugin may use.
        Assert.False(File.Exists(Path.Combine(pluginFolder, "WsBalancer.Sdk.dll")), "the plugin folder ships its own WsBalancer.Sdk.dll");
        Assert.False(File.Exists(Path.Combine(pluginFolder, "Microsoft.Extensions.Logging.Abstractions.dll")));
    }

    /// <summary>
    /// The README's "Write a plugin in 5 minutes", end to end: a plugin from the template is published into the plugins
    /// folder of a running demo and acts on the next session; publishing version 2 while a session is live keeps that
    /// session on version 1, new sessions get version 2, and version 1 leaves the list once its session ends.
    /// </summary>
    [Fact]
    public async Task NewPlugin_PublishedIntoRunningDemo_ActsOnNextSessionAndV2KeepsTheLiveSessionOnV1()
    {
        var ct = TestContext.Current.CancellationToken;
        using var output = new TempDirectory("walkthrough");
        var name = PluginName();
        var source = Path.Combine(output.Path, "source");
        var plugins = Path.Combine(output.Path, "plugins");
        Directory.CreateDirectory(plugins);
        Directory.CreateDirectory(source);
        await NewPluginAsync(name, source, ["--sdk-feed", kit.FeedDirectory], ct);
        await ReplaceStaleCachedSdkAsync(ct);
        await using var demo = await RunningDemo.StartAsync(plugins, ct);

        (await DotnetCli.RunAsync(source, ["publish", name, "-c", "Release", "-o", Path.Combine(plugins, name)], Timeouts.Build, ct)).AssertSucceeded();
        await demo.WaitForPluginAsync(name, row => row.GetProperty("status").GetString() == "active", ct);
        using var live = await demo.ConnectAsync(ct);
        Assert.Matches(@"^\[echo-[12]\] HELLO$", await RunningDemo.AskAsync(live, "hello", ct));

        var valve = Path.Combine(source, name, name + "Valve.cs");
        var code = await File.ReadAllTextAsync(valve, ct);
        Assert.Contains("message.GetText().ToUpperInvariant()", code, StringComparison.Ordinal);
        await File.WriteAllTextAsync(valve, code.Replace("message.GetText().ToUpperInvariant()", "message.GetText().ToUpperInvariant() + \"!\"", StringComparison.Ordinal), ct);
        (await DotnetCli.RunAsync(source, ["publish", name, "-c", "Release", "-o", Path.Combine(plugins, name), "-p:Version=2.0.0"], Timeouts.Build, ct)).AssertSucceeded();
        var row = await demo.WaitForPluginAsync(name, r => r.GetProperty("version").GetString() == "2.0.0", ct);

        var older = Assert.Single(row.GetProperty("versions").EnumerateArray());
        Assert.Equal("1.0.0", older.GetProperty("version").GetString());
        Assert.Equal(1, older.GetProperty("sessions").GetInt32());
        Assert.Matches(@"^\[echo-[12]\] HELLO$", await RunningDemo.AskAsync(live, "hello", ct));
        using var fresh = await demo.ConnectAsync(ct);
        Assert.Matches(@"^\[echo-[12]\] HELLO!$", await RunningDemo.AskAsync(fresh, "hello", ct));

        await live.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", ct);
        await demo.WaitForPluginAsync(name, r => r.GetProperty("versions").GetArrayLength() == 0, ct);
    }

    [Fact]
    public async Task NewPlugin_WithoutSdkFeed_RestoresFromNuGetOrgOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var output = new TempDirectory("plugin");
        var name = PluginName();

        await NewPluginAsync(name, output.Path, [], ct);

        Assert.Equal(["https://api.nuget.org/v3/index.json"], PackageSources(output.Path));
        var provider = await File.ReadAllTextAsync(Path.Combine(output.Path, name, name + "ValveProvider.cs"), ct);
        Assert.Contains($"namespace {name};", provider, StringComparison.Ordinal);
        Assert.Contains($"public sealed class {name}ValveProvider : IValveProvider", provider, StringComparison.Ordinal);
    }

    private async Task NewPluginAsync(string name, string outputDirectory, IReadOnlyList<string> options, CancellationToken ct)
    {
        (await DotnetCli.RunAsync(
            outputDirectory,
            ["new", "wsbalancer-plugin", "-n", name, "-o", outputDirectory, .. options, "--debug:custom-hive", kit.HiveDirectory, "--no-update-check"],
            Timeouts.Template,
            ct)).AssertSucceeded();
    }

    // Two lorem words and a number: a valid C# identifier and file name that no referenced namespace uses.
    private string PluginName()
    {
        var name = string.Concat(_faker.Lorem.Words(2).Select(w => char.ToUpperInvariant(w[0]) + w[1..])) + _faker.Random.Number(10, 99);
        Assert.Matches(PluginNameShape(), name);
        return name;
    }

    private static string[] PackageSources(string root) =>
        [.. XDocument.Load(Path.Combine(root, "nuget.config")).Descendants("packageSources").Elements("add").Select(a => (string)a.Attribute("value")!)];

    private static string? SdkReferenceVersion(string project) =>
        XDocument.Load(project).Descendants("PackageReference")
            .Single(r => (string?)r.Attribute("Include") == "WsBalancer.Sdk")
            .Attribute("Version")?.Value;

    /// <summary>
    /// NuGet takes a package version already in the machine's package cache from there, whatever the feed holds. The
    /// version only changes when the contract is released, so between releases the cache can hold a WsBalancer.Sdk
    /// of this version packed from older sources; the generated tests would then run against that. When the cached
    /// contract documentation differs from the one just packed, that one cached version (and nothing else) is removed
    /// so restore takes the fresh package from the feed.
    /// </summary>
    private async Task ReplaceStaleCachedSdkAsync(CancellationToken ct)
    {
        var locals = (await DotnetCli.RunAsync(
            kit.FeedDirectory, ["nuget", "locals", "global-packages", "--list"], Timeouts.Template, ct)).AssertSucceeded();
        var cacheRoot = GlobalPackagesLine().Match(locals.Output);
        Assert.True(cacheRoot.Success, $"no global-packages folder in:\n{locals.Output}");
        var cached = Path.Combine(cacheRoot.Groups["path"].Value.Trim(), "wsbalancer.sdk", kit.SdkVersion);
        var cachedDocs = Path.Combine(cached, "lib", "net10.0", "WsBalancer.Sdk.xml");
        if (File.Exists(cachedDocs)
            && !(await File.ReadAllBytesAsync(cachedDocs, ct)).AsSpan().SequenceEqual(PackedKit.ReadEntry(kit.SdkPackage, "lib/net10.0/WsBalancer.Sdk.xml")))
        {
            Directory.Delete(cached, recursive: true);
        }
    }

    [GeneratedRegex(@"Failed:\s+(?<failed>\d+), Passed:\s+(?<passed>\d+)")]
    private static partial Regex TestSummary();

    [GeneratedRegex(@"^global-packages:\s*(?<path>.+)$", RegexOptions.Multiline)]
    private static partial Regex GlobalPackagesLine();

    [GeneratedRegex("^[A-Z][a-z]*[A-Z][a-z]*[0-9]{2}$")]
    private static partial Regex PluginNameShape();
}

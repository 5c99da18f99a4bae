using System.Xml.Linq;

namespace WsBalancer.Templates.Tests;

/// <summary>What the two packages hold: what a plugin author's IDE, restore and <c>dotnet new</c> get from them.</summary>
[Collection(PackedKitCollection.Name)]
public sealed class PackageContentTests(PackedKit kit)
{
    [Theory]
    [InlineData("README.md")]
    [InlineData("lib/net10.0/WsBalancer.Sdk.dll")]
    [InlineData("lib/net10.0/WsBalancer.Sdk.xml")]
    public void Pack_Sdk_HoldsFile(string entry)
    {
        var bytes = PackedKit.ReadEntry(kit.SdkPackage, entry);

        Assert.True(bytes is { Length: > 0 }, $"{Path.GetFileName(kit.SdkPackage)} has no (or an empty) {entry}");
    }

    [Fact]
    public void Pack_Sdk_DocumentsTheContract()
    {
        var docs = PackedKit.ReadXml(kit.SdkPackage, "lib/net10.0/WsBalancer.Sdk.xml");

        var members = docs.Descendants("member").Select(m => (string?)m.Attribute("name")).ToHashSet();

        Assert.Contains("T:WsBalancer.Sdk.IValveProvider", members);
        Assert.Contains("M:WsBalancer.Sdk.IMessageValve.BeforeTransmitAsync(WsBalancer.Sdk.WsMessage)", members);
    }

    [Fact]
    public void Pack_Sdk_NuspecNamesReadmeAndLoggingDependency()
    {
        var nuspec = PackedKit.ReadXml(kit.SdkPackage, "WsBalancer.Sdk.nuspec");
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");

        Assert.Equal("README.md", metadata.Elements().Single(e => e.Name.LocalName == "readme").Value);
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string?)e.Attribute("id"));
        Assert.Equal(["Microsoft.Extensions.Logging.Abstractions"], dependencies);
    }

    [Fact]
    public void Pack_Sdk_SymbolsPackageBesideIt()
    {
        var symbols = Path.ChangeExtension(kit.SdkPackage, ".snupkg");

        Assert.True(File.Exists(symbols), $"no {Path.GetFileName(symbols)} in the feed");
        Assert.NotNull(PackedKit.ReadEntry(symbols, "lib/net10.0/WsBalancer.Sdk.pdb"));
    }

    [Fact]
    public void Pack_Templates_HoldsTemplateConfigAndNoBuildOutput()
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(kit.TemplatePackage);
        var entries = archive.Entries.Select(e => e.FullName).ToList();

        Assert.Contains("content/WsBalancerPlugin/.template.config/template.json", entries);
        Assert.Contains("content/WsBalancerPlugin/WsBalancerPlugin/WsBalancerPlugin.csproj", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Contains("/bin/", StringComparison.Ordinal) || e.Contains("/obj/", StringComparison.Ordinal));
    }
}

using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace WsBalancer.Templates.Tests;

/// <summary>
/// The kit as a plugin author gets it, made once for the collection: WsBalancer.Sdk and WsBalancer.Templates packed
/// from this checkout into a fresh local feed, and the template installed into a private template hive (so the
/// user's own <c>dotnet new</c> list is untouched).
/// </summary>
public sealed class PackedKit : IAsyncLifetime
{
    private readonly TempDirectory _feed = new("feed");
    private readonly TempDirectory _hive = new("hive");

    /// <summary>The local feed: a folder holding the two packages.</summary>
    public string FeedDirectory => _feed.Path;

    /// <summary>The template hive to pass as <c>--debug:custom-hive</c> to every <c>dotnet new</c>.</summary>
    public string HiveDirectory => _hive.Path;

    /// <summary>The packed WsBalancer.Sdk package.</summary>
    public string SdkPackage { get; private set; } = string.Empty;

    /// <summary>The version of <see cref="SdkPackage"/>.</summary>
    public string SdkVersion { get; private set; } = string.Empty;

    /// <summary>The packed WsBalancer.Templates package.</summary>
    public string TemplatePackage { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        try
        {
            var root = RepositoryRoot.Find();
            foreach (var project in new[] { "sdk/WsBalancer.Sdk", "sdk/WsBalancer.Templates" })
            {
                (await DotnetCli.RunAsync(
                    root, ["pack", project, "--no-build", "-c", BuildConfiguration(), "-o", FeedDirectory], Timeouts.Build, ct)).AssertSucceeded();
            }

            SdkPackage = SinglePackage("WsBalancer.Sdk");
            SdkVersion = Path.GetFileNameWithoutExtension(SdkPackage)["WsBalancer.Sdk.".Length..];
            TemplatePackage = SinglePackage("WsBalancer.Templates");
            (await DotnetCli.RunAsync(
                FeedDirectory, ["new", "install", TemplatePackage, "--debug:custom-hive", HiveDirectory], Timeouts.Template, ct)).AssertSucceeded();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads one file of a packed package.</summary>
    /// <param name="package">The .nupkg path.</param>
    /// <param name="entry">The file's path inside the package.</param>
    /// <returns>Its bytes, or null when the package has no such file.</returns>
    public static byte[]? ReadEntry(string package, string entry)
    {
        using var archive = ZipFile.OpenRead(package);
        var file = archive.GetEntry(entry);
        if (file is null)
        {
            return null;
        }

        using var stream = file.Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>Reads one XML file of a packed package (NuGet writes the nuspec with a byte order mark).</summary>
    /// <param name="package">The .nupkg path.</param>
    /// <param name="entry">The file's path inside the package.</param>
    /// <returns>The parsed document.</returns>
    public static XDocument ReadXml(string package, string entry)
    {
        var bytes = ReadEntry(package, entry);
        Assert.True(bytes is not null, $"{Path.GetFileName(package)} has no {entry}");
        using var stream = new MemoryStream(bytes);
        return XDocument.Load(stream);
    }

    public ValueTask DisposeAsync()
    {
        _feed.Dispose();
        _hive.Dispose();
        return ValueTask.CompletedTask;
    }

    // The configuration this test project, and so the two referenced projects, were built in.
    private static string BuildConfiguration() =>
        typeof(PackedKit).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BuildConfiguration").Value!;

    private string SinglePackage(string id)
    {
        var packages = Directory.GetFiles(FeedDirectory, id + ".*.nupkg")
            .Where(p => char.IsAsciiDigit(Path.GetFileName(p)[(id.Length + 1)..][0]))
            .ToArray();
        Assert.True(packages.Length == 1, $"Expected one {id} package in the feed, found: {string.Join(", ", packages)}");
        return packages[0];
    }
}

/// <summary>The tests that share one <see cref="PackedKit"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackedKitCollection : ICollectionFixture<PackedKit>
{
    public const string Name = "Packed kit";
}

namespace WsBalancer.IntegrationTests.Scripting;

/// <summary>The example valves of the repository's <c>scripts/examples/</c>, as an operator would copy them.</summary>
internal static class ExampleScripts
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The folder holding <c>WsBalancer.Platform.sln</c>, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot => Root.Value;

    public static string PathOf(string name) => Path.Combine(RepositoryRoot, "scripts", "examples", name);

    /// <summary>Copies the example, byte for byte and under its own name, into the test's scripts folder.</summary>
    public static void Install(this ScriptFolder folder, string name) =>
        File.Copy(PathOf(name), Path.Combine(folder.Directory, name), overwrite: true);

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WsBalancer.Platform.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No WsBalancer.Platform.sln above {AppContext.BaseDirectory}: the example scripts are read from the repository.");
    }
}

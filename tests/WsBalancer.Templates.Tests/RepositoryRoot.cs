namespace WsBalancer.Templates.Tests;

/// <summary>The checkout these tests were built from: the folder above the test binaries holding the solution.</summary>
internal static class RepositoryRoot
{
    private const string SolutionFile = "WsBalancer.Platform.sln";

    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds {SolutionFile}.");
    }
}

namespace WsBalancer.Browser.Tests.Support;

/// <summary>Where the tests leave their screenshots: <c>screenshots/</c> in the test output folder.</summary>
public static class Screenshots
{
    public static string Directory { get; } = System.IO.Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public static string PathOf(string name) => Path.Combine(Directory, name + ".png");
}

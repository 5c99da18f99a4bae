namespace WsBalancer.Templates.Tests;

/// <summary>A fresh directory under the system's temp folder (outside the repository), deleted with its contents on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"wsbalancer-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file open for a moment; the folder is in temp and named as ours.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

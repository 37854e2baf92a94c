namespace NotebookGateway.Testing;

/// <summary>Short-lived temp directories; ipc paths must stay under the 107-byte sun_path limit.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "nbgw")
    {
        Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A kernel may still be removing its sockets; the OS temp cleaner gets the rest.
        }
    }
}

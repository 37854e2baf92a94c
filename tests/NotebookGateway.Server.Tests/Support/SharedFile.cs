namespace NotebookGateway.Server.Tests.Support;

/// <summary>Reads a file another process keeps open for writing (the gateway's audit log).</summary>
public static class SharedFile
{
    public static async Task<string> ReadAllTextAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}

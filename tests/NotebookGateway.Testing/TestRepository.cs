namespace NotebookGateway.Testing;

/// <summary>The repository the tests run in, and the builds of it they start (made by <c>bash scripts/setup.sh</c>, never by a test).</summary>
public static class TestRepository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The gateway's Release build.</summary>
    public static string GatewayDll => Path.Combine(Root, "src", "NotebookGateway.Server", "bin", "Release", "net10.0", "NotebookGateway.Server.dll");

    public static string GatewayJson => Path.Combine(Root, "gateway.json");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NotebookGateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (NotebookGateway.sln) above " + AppContext.BaseDirectory);
    }
}

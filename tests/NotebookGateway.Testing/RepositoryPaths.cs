namespace NotebookGateway.Testing;

/// <summary>Files of the repository the tests use as they are (the gateway's build, kernelspecs, seccomp profile, gateway.json).</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build <c>bash scripts/setup.sh</c> makes; the tests run this, never a build of their own.</summary>
    public static string GatewayDll => Path.Combine(Root, "src", "NotebookGateway.Server", "bin", "Release", "net10.0", "NotebookGateway.Server.dll");

    public static string GatewayJson => Path.Combine(Root, "gateway.json");

    public static string SeccompProfile => Path.Combine(Root, "seccomp", "notebook.json");

    public static string KernelSpecs => Path.Combine(Root, "kernelspecs");

    public static string JsTests => Path.Combine(Root, "tests", "js");

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

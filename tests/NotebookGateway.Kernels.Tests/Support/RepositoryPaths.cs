namespace NotebookGateway.Kernels.Tests.Support;

/// <summary>Files of the repository the tests use as they are (kernelspecs, seccomp profile, gateway.json).</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string SeccompProfile => Path.Combine(Root, "seccomp", "notebook.json");

    public static string KernelSpecs => Path.Combine(Root, "kernelspecs");

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

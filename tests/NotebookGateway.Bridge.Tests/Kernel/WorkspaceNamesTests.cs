using NotebookGateway.Bridge.Kernel;

namespace NotebookGateway.Bridge.Tests.Kernel;

public sealed class WorkspaceNamesTests
{
    private static readonly Dictionary<string, string> None = new();

    [Fact]
    public void Resolve_PrefersTheCommandLine_ThenKernelWorkspace_ThenTheNotebook_ThenTheDirectory()
    {
        var env = new Dictionary<string, string> { ["KERNEL_WORKSPACE"] = "named", ["JPY_SESSION_NAME"] = "a/b.ipynb" };

        Assert.Equal(("cli", "--workspace"), WorkspaceNames.Resolve("cli", env, "/home/u/project"));
        Assert.Equal(("named", "KERNEL_WORKSPACE"), WorkspaceNames.Resolve(null, env, "/home/u/project"));
        Assert.StartsWith("nb-b-", WorkspaceNames.Resolve(null, new Dictionary<string, string> { ["JPY_SESSION_NAME"] = "a/b.ipynb" }, "/p").Name, StringComparison.Ordinal);
        Assert.StartsWith("dir-project-", WorkspaceNames.Resolve(null, None, "/home/u/project").Name, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_GivesEachNotebookAndDirectoryItsOwnStableName()
    {
        string a = WorkspaceNames.Resolve(null, None, "/home/u/one").Name;

        Assert.Equal(a, WorkspaceNames.Resolve(null, None, "/home/u/one/").Name);
        Assert.NotEqual(a, WorkspaceNames.Resolve(null, None, "/srv/one").Name); // same last name, another directory
        Assert.NotEqual(
            WorkspaceNames.Resolve(null, new Dictionary<string, string> { ["JPY_SESSION_NAME"] = "x.ipynb" }, "/d").Name,
            WorkspaceNames.Resolve(null, new Dictionary<string, string> { ["JPY_SESSION_NAME"] = "y.ipynb" }, "/d").Name);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/home/u/Ünïcode dir with spaces & symbols!")]
    [InlineData("/home/u/a-very-long-directory-name-that-goes-on-and-on-well-past-sixty-four-characters-in-all")]
    public void Resolve_AlwaysGivesANameTheGatewayAccepts(string directory)
    {
        string name = WorkspaceNames.Resolve(null, None, directory).Name;

        Assert.True(WorkspaceNames.IsValid(name), name);
        Assert.True(name.Length <= 64, name);
    }

    [Fact]
    public void Resolve_IgnoresAnInvalidKernelWorkspace()
    {
        var env = new Dictionary<string, string> { ["KERNEL_WORKSPACE"] = "../etc" };

        Assert.Equal("working directory", WorkspaceNames.Resolve(null, env, "/w").Source);
    }
}

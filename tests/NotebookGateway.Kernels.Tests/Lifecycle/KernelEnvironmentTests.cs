using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

public sealed class KernelEnvironmentTests
{
    private static readonly Dictionary<string, string> SpecEnv = new() { ["FROM_SPEC"] = "1", ["SHARED"] = "spec" };

    [Fact]
    public void Build_ClientVariables_AreMergedAfterTheSpecsInNameOrder()
    {
        var env = KernelEnvironment.Build(SpecEnv, new Dictionary<string, string> { ["SHARED"] = "client", ["A_VAR"] = "x" }, new SandboxOptions());

        Assert.Equal(["A_VAR=x", "FROM_SPEC=1", "SHARED=client"], env);
    }

    [Theory]
    [InlineData("1BAD", "x")]
    [InlineData("BAD-NAME", "x")]
    [InlineData("GOOD", "nul\0inside")]
    public void Build_InvalidClientVariable_IsRefused(string name, string value)
    {
        Assert.Throws<ArgumentException>(() => KernelEnvironment.Build(SpecEnv, new Dictionary<string, string> { [name] = value }, new SandboxOptions()));
    }

    [Fact]
    public void Build_TooManyOrTooLarge_IsRefused()
    {
        var options = new SandboxOptions { MaxClientEnvironmentVariables = 2, MaxClientEnvironmentBytes = 32 };

        Assert.Throws<ArgumentException>(() => KernelEnvironment.Build(SpecEnv, new Dictionary<string, string> { ["A"] = "", ["B"] = "", ["C"] = "" }, options));
        Assert.Throws<ArgumentException>(() => KernelEnvironment.Build(SpecEnv, new Dictionary<string, string> { ["A"] = new string('x', 40) }, options));
    }
}

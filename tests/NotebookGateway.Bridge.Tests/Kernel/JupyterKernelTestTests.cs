using System.Text.Json.Nodes;
using NotebookGateway.Bridge.Tests.Support;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Kernel;

/// <summary>
/// jupyter_kernel_test (Debian's python3-jupyter-kernel-test) runs unchanged against the bridged kernelspec of every
/// language in <c>kernel-test-languages.json</c>: kernel_info, stdout/stderr, completion, is_complete, the pager, errors,
/// execute results, display data, history, inspection and clear_output, all through the bridge and the gateway.
/// </summary>
[Collection(BridgeCollection.Name)]
public sealed class JupyterKernelTestTests(BridgeFixture fixture, ITestOutputHelper output)
{
    public static string TablePath => Path.Combine(AppContext.BaseDirectory, "Kernel", "kernel-test-languages.json");

    /// <summary>The gateway specs with a row in the table (the lead adds rows as languages land).</summary>
    public static TheoryData<string> Specs()
    {
        var table = (JsonObject)JsonNode.Parse(File.ReadAllText(TablePath))!;
        var specs = new TheoryData<string>();
        foreach ((string name, _) in table.Where(p => !p.Key.StartsWith('_')))
        {
            specs.Add(name);
        }
        return specs;
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public async Task JupyterKernelTest_PassesAgainstTheBridgedSpec(string spec)
    {
        Tools.RequirePythonModule("jupyter_kernel_test", "python3-jupyter-kernel-test");
        string local = "sandboxed-" + spec;
        Assert.True(Directory.Exists(Path.Combine(fixture.Environment.KernelsDirectory, local)),
            $"The gateway offers no '{spec}' kernelspec, so none was installed as {local}: build its sandbox image (scripts/build-images.sh) or remove its row from {TablePath}.");

        ProcessRun run = await BridgeCli.RunProcessAsync(Tools.Python,
            [Path.Combine(AppContext.BaseDirectory, "Scripts", "kernel_test_runner.py"), TablePath, spec, local],
            fixture.Environment, fixture.Environment.WorkDirectory, Timeouts.ToolRun);
        output.WriteLine(run.Output);

        Assert.True(run.ExitCode == 0, $"jupyter_kernel_test failed against {local}:\n{run.Output}");
        var summary = JsonNode.Parse(run.Stdout.Trim().Split('\n')[^1])!;
        Assert.True(summary["run"]!.GetValue<int>() == summary["expected"]!.GetValue<int>() && summary["run"]!.GetValue<int>() >= 12,
            $"not every jupyter_kernel_test test ran: {summary}");
        Assert.Equal(0, summary["failures"]!.GetValue<int>() + summary["errors"]!.GetValue<int>());
    }
}

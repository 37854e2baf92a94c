using System.Text.Json.Nodes;
using NotebookGateway.Bridge.Tests.Support;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Kernel;

/// <summary>
/// Real notebooks through the bridge with the real executors: the test notebooks Debian ships with python3-nbclient
/// (outputs, errors, display updates, images, stdin disabled, an interrupt on timeout, unicode, a kernel that kills
/// itself) run by nbclient on the bridged kernel and on Debian's local python3, outputs compared; and
/// <c>jupyter nbconvert --to notebook --execute</c> on both, compared the same way.
/// </summary>
[Collection(BridgeCollection.Name)]
public sealed class NotebookExecutionTests(BridgeFixture fixture, ITestOutputHelper output)
{
    private const string DebianNotebooks = "/usr/lib/python3/dist-packages/nbclient/tests/files";

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Scripts", "run_notebooks.py");

    [Fact]
    public async Task NbclientTestNotebooks_GiveTheSameOutputsAsALocalKernel()
    {
        Tools.RequirePythonModule("nbclient", "python3-nbclient");
        Assert.True(File.Exists(Path.Combine(DebianNotebooks, "HelloWorld.ipynb")), $"nbclient's test notebooks are missing from {DebianNotebooks}: apt-get install python3-nbclient ({Tools.Hint})");

        ProcessRun run = await BridgeCli.RunProcessAsync(Tools.Python, [Script, "nbclient", "python3", BridgeEnvironment.Python3],
            fixture.Environment, fixture.Environment.WorkDirectory, TimeSpan.FromMinutes(10));
        output.WriteLine(run.Output);

        var results = run.Stdout.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.True(run.ExitCode == 0 && results.Count == 18, $"run_notebooks.py ran {results.Count} of 18 notebooks (exit {run.ExitCode}):\n{run.Output}");
        var different = results.Where(r => !r["equal"]!.GetValue<bool>()).Select(r => $"{r["name"]}: {r["detail"]}").ToList();
        Assert.True(different.Count == 0, "outputs differ from the local kernel's:\n" + string.Join('\n', different));
    }

    [Theory]
    [InlineData("update-display-id.ipynb")]
    [InlineData("Inline Image.ipynb")]
    [InlineData("UnicodePy3.ipynb")]
    public async Task NbconvertExecute_GivesTheSameNotebookAsALocalKernel(string notebook)
    {
        string nbconvert = Tools.RequireCommand("jupyter-nbconvert", "jupyter-nbconvert");
        string directory = Path.Combine(fixture.Environment.Root, "nbconvert-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(DebianNotebooks, notebook), Path.Combine(directory, "input.ipynb"));
        File.Copy(Path.Combine(DebianNotebooks, "python.png"), Path.Combine(directory, "python.png"));
        if (notebook == "Inline Image.ipynb")
        {
            await CopyIntoWorkspaceAsync(directory, "python.png"); // the sandbox sees its workspace, not this directory
        }

        foreach (string kernel in new[] { "python3", BridgeEnvironment.Python3 })
        {
            ProcessRun run = await BridgeCli.RunProcessAsync(nbconvert,
                ["--to", "notebook", "--execute", $"--ExecutePreprocessor.kernel_name={kernel}", "--ExecutePreprocessor.startup_timeout=120",
                 "--output", $"out-{kernel}.ipynb", "input.ipynb"],
                fixture.Environment, directory, Timeouts.ToolRun);
            output.WriteLine($"--- nbconvert with {kernel} ---\n{run.Output}");
            Assert.True(run.ExitCode == 0, $"nbconvert --execute with {kernel} failed:\n{run.Output}");
        }
        ProcessRun compared = await BridgeCli.RunProcessAsync(Tools.Python,
            [Script, "compare", Path.Combine(directory, "out-python3.ipynb"), Path.Combine(directory, $"out-{BridgeEnvironment.Python3}.ipynb")],
            fixture.Environment, directory, Timeouts.Step);

        var result = JsonNode.Parse(compared.Stdout.Trim())!;
        Assert.True(result["equal"]!.GetValue<bool>(), $"{notebook}: {result["detail"]}");
    }

    private async Task CopyIntoWorkspaceAsync(string directory, string file)
    {
        await using ToolDriver tool = ToolDriver.Start(fixture.Environment, directory);
        await tool.StartKernelAsync(BridgeEnvironment.Python3, directory);
        string payload = Convert.ToBase64String(await File.ReadAllBytesAsync(Path.Combine(directory, file)));
        JsonObject cell = await tool.ExecuteAsync($"import base64\n_ = open('{file}', 'wb').write(base64.b64decode('{payload}'))");
        Assert.Equal("ok", cell["status"]!.GetValue<string>());
        await tool.SendAsync(new JsonObject { ["op"] = "shutdown" });
    }
}

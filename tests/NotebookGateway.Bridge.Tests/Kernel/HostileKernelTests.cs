using System.Text.Json.Nodes;
using NotebookGateway.Bridge.Tests.Support;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Kernel;

/// <summary>
/// The code in a kernel is the adversary: what it sends through the gateway may be dropped, never crash or wedge the
/// bridge. Here with a bridge whose message bound is 1 MiB (<c>--max-message-bytes</c>) and a kernel that sends more.
/// </summary>
[Collection(BridgeCollection.Name)]
public sealed class HostileKernelTests(BridgeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task MessageOverTheBound_IsDropped_AndTheKernelGoesOn()
    {
        string source = Path.Combine(fixture.Environment.KernelsDirectory, BridgeEnvironment.Python3, "kernel.json");
        var spec = JsonNode.Parse(File.ReadAllText(source))!.AsObject();
        spec["argv"]!.AsArray().Add("--max-message-bytes");
        spec["argv"]!.AsArray().Add("1048576");
        string directory = Path.Combine(fixture.Environment.KernelsDirectory, "small-python3");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "kernel.json"), spec.ToJsonString());
        await using ToolDriver tool = ToolDriver.Start(fixture.Environment);
        try
        {
            await tool.StartKernelAsync("small-python3");

            JsonObject flood = await tool.ExecuteAsync(
                "from IPython.display import display\ndisplay({'text/plain': 'x' * (3 << 20)}, raw=True)\nprint('after', flush=True)");
            JsonObject next = await tool.ExecuteAsync("print(6 * 7)");

            Assert.Equal("ok", flood["status"]!.GetValue<string>());
            Assert.Equal("after\n", flood["stdout"]!.GetValue<string>());
            Assert.DoesNotContain("display_data", flood["iopub"]!.AsArray().Select(t => t!.GetValue<string>()));
            Assert.Contains("over the 1048576-byte limit", tool.Log, StringComparison.Ordinal);
            Assert.Equal("42\n", next["stdout"]!.GetValue<string>());
        }
        finally
        {
            output.WriteLine(tool.Log);
        }
    }
}

using NotebookGateway.Bridge.Tests.Support;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Kernel;

/// <summary>
/// <c>jupyter console --kernel sandboxed-python3</c> in tmux, as a person uses it: the banner, a cell's output, a
/// completion-driven multi-line cell, and the kernel deleted when the console exits.
/// </summary>
/// <remarks>
/// Ctrl-C is not tested here: Debian 12's jupyter-console 6.4.4 loses its SIGINT handler after the first prompt
/// (prompt_toolkit removes its asyncio signal handler, which puts back Python's default one), so Ctrl-C raises
/// "KeyboardInterrupt escaped interact()" in the console and never reaches any kernel, Debian's local python3 included
/// (checked by hand). The call its handler would make, jupyter_client's <c>interrupt_kernel</c> (SIGINT to the bridge),
/// is tested in <see cref="BridgedKernelLifecycleTests"/>, and nbclient's interrupt on timeout in <see cref="NotebookExecutionTests"/>.
/// </remarks>
[Collection(BridgeCollection.Name)]
public sealed class JupyterConsoleTests(BridgeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Console_RunsCells_AndItsExitDeletesTheKernel()
    {
        string console = Tools.RequireCommand("jupyter-console", "jupyter-console");
        IReadOnlyList<string> before = await fixture.GatewayKernelsAsync();
        await using Tmux terminal = await Tmux.StartAsync(fixture.Environment, $"{console} --kernel {BridgeEnvironment.Python3}");
        string screen = "";
        try
        {
            await terminal.WaitForScreenAsync(s => s.Contains("In [1]:", StringComparison.Ordinal), Timeouts.KernelStart, "the console's first prompt");
            await terminal.SendKeysAsync("print('sandboxed', 6 * 7)", "Enter");
            await terminal.WaitForScreenAsync(s => s.Contains("sandboxed 42", StringComparison.Ordinal), Timeouts.Step, "the cell's output");
            // A block: the console asks the kernel (is_complete_request, through the bridge) whether to run it yet.
            await terminal.SendKeysAsync("for i in range(3):", "Enter");
            await terminal.WaitForScreenAsync(s => s.Contains("...:", StringComparison.Ordinal), Timeouts.Step, "the continuation prompt");
            await terminal.SendKeysAsync("print('line', i)", "Enter", "Enter");
            screen = await terminal.WaitForScreenAsync(s => s.Contains("line 2", StringComparison.Ordinal), Timeouts.Step, "the block's output");
            Assert.Contains("line 0", screen, StringComparison.Ordinal);
            await terminal.SendKeysAsync("import socket; socket.gethostname() != ''", "Enter");
            screen = await terminal.WaitForScreenAsync(s => s.Contains("Out[", StringComparison.Ordinal), Timeouts.Step, "an execute result");
            Assert.Single((await fixture.GatewayKernelsAsync()).Except(before)); // the console's kernel is a gateway kernel

            await terminal.SendKeysAsync("exit", "Enter");
            await fixture.WaitForKernelsAsync(k => !k.Except(before).Any(), Timeouts.Step, "the kernel deleted when the console exits");
        }
        finally
        {
            output.WriteLine(screen.Length > 0 ? screen : await terminal.ScreenAsync());
        }
    }
}

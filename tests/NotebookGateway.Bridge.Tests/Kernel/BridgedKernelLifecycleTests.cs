using System.Diagnostics;
using System.Text.Json.Nodes;
using NotebookGateway.Bridge.Tests.Support;
using NotebookGateway.Testing;
using Xunit.Abstractions;

namespace NotebookGateway.Bridge.Tests.Kernel;

/// <summary>
/// A bridged kernel's life as jupyter_client (the library under Notebook, nbclient and jupyter console) drives it, checked
/// against the real gateway: cells run in the sandbox, shutdown deletes the gateway kernel, restarts keep it (and its
/// workspace), SIGKILL leaves it to the lease, SIGTERM deletes it, both interrupt paths work, stdin works, a dropped
/// websocket is re-established without losing output, a death on the gateway reaches the tool, 20 kernels run at once.
/// </summary>
[Collection(BridgeCollection.Name)]
public sealed class BridgedKernelLifecycleTests(BridgeFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<ToolDriver> _drivers = [];

    public Task InitializeAsync()
    {
        Tools.RequirePythonModule("jupyter_client", "python3-jupyter-client");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (ToolDriver driver in _drivers)
        {
            output.WriteLine("--- tool driver (jupyter_client) and bridge output ---\n" + driver.Log);
            await driver.DisposeAsync();
        }
    }

    [Fact]
    public async Task Cell_RunsInTheSandboxedKernel_WithOutputAndResult()
    {
        ToolDriver tool = Driver();
        IReadOnlyList<string> before = await fixture.GatewayKernelsAsync();
        await tool.StartKernelAsync(BridgeEnvironment.Python3);
        IReadOnlyList<string> after = await fixture.GatewayKernelsAsync();

        JsonObject cell = await tool.ExecuteAsync("import os, socket\nprint(os.getcwd(), socket.gethostname() != '', flush=True)\n6 * 7");

        Assert.Equal("ok", cell["status"]!.GetValue<string>());
        Assert.Equal("/home/sandbox/work True\n", cell["stdout"]!.GetValue<string>()); // the sandbox's workspace, not the tool's directory
        Assert.Equal("42", cell["result"]!.GetValue<string>());
        Assert.Single(after.Except(before));
    }

    [Fact]
    public async Task Shutdown_DeletesTheGatewayKernel()
    {
        ToolDriver tool = Driver();
        (string kernel, _) = await StartAndFindAsync(tool);

        var clock = Stopwatch.StartNew();
        await tool.SendAsync(new JsonObject { ["op"] = "shutdown" });
        Assert.DoesNotContain(kernel, await fixture.GatewayKernelsAsync()); // deleted before the bridge exited
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"shutdown took {clock.Elapsed}");
    }

    [Fact]
    public async Task Restart_KeepsTheGatewayKernelAndItsFiles_ButStartsItFresh()
    {
        ToolDriver tool = Driver();
        (string kernel, int firstBridge) = await StartAndFindAsync(tool);
        await tool.ExecuteAsync("x = 5\nopen('kept.txt', 'w').write('kept')");

        JsonObject restarted = await tool.SendAsync(new JsonObject { ["op"] = "restart" }, Timeouts.KernelStart);
        JsonObject cell = await tool.ExecuteAsync("print(open('kept.txt').read(), 'x' in dir())");

        Assert.Equal("kept False\n", cell["stdout"]!.GetValue<string>());
        Assert.NotEqual(firstBridge, restarted["pid"]!.GetValue<int>()); // a new bridge process, as for a local kernel
        Assert.Contains(kernel, await fixture.GatewayKernelsAsync()); // the same gateway kernel, restarted
    }

    [Fact]
    public async Task RestartNow_KillsTheBridge_AndTheNextOneRestartsTheSameGatewayKernel()
    {
        ToolDriver tool = Driver();
        (string kernel, _) = await StartAndFindAsync(tool);
        await tool.ExecuteAsync("y = 1");

        await tool.SendAsync(new JsonObject { ["op"] = "restart_now" }, Timeouts.KernelStart);
        JsonObject cell = await tool.ExecuteAsync("print('y' in dir())");

        Assert.Equal("False\n", cell["stdout"]!.GetValue<string>());
        IReadOnlyList<string> kernels = await fixture.GatewayKernelsAsync();
        Assert.Contains(kernel, kernels);
    }

    [Fact]
    public async Task KillNine_LeavesTheKernelOnlyUntilItsLeaseRunsOut()
    {
        ToolDriver tool = Driver();
        (string kernel, _) = await StartAndFindAsync(tool);

        await tool.SendAsync(new JsonObject { ["op"] = "kill" });
        TimeSpan gone = await fixture.WaitForKernelsAsync(k => !k.Contains(kernel),
            TimeSpan.FromSeconds(BridgeFixture.LeaseSeconds + BridgeFixture.LeaseCheckSeconds + 20), "the killed bridge's kernel removed by its lease");

        output.WriteLine($"kernel removed {gone.TotalSeconds:0.0} s after SIGKILL (lease {BridgeFixture.LeaseSeconds} s, checked every {BridgeFixture.LeaseCheckSeconds} s)");
        Assert.True(gone >= TimeSpan.FromSeconds(BridgeFixture.LeaseSeconds - 2), $"removed before the lease ran out: {gone}");
    }

    [Fact]
    public async Task Sigterm_DeletesTheGatewayKernelAndEndsTheBridge()
    {
        ToolDriver tool = Driver();
        (string kernel, int bridge) = await StartAndFindAsync(tool);

        TestLibC.Kill(bridge, TestLibC.SIGTERM);
        TimeSpan gone = await fixture.WaitForKernelsAsync(k => !k.Contains(kernel), Timeouts.Short, "the kernel deleted on SIGTERM");

        Assert.True(gone < TimeSpan.FromSeconds(BridgeFixture.LeaseSeconds), $"deleted only after {gone}: by the lease, not by the bridge");
        await WaitUntilDeadAsync(tool);
    }

    /// <summary>
    /// <c>ignoreSigint</c>: the tool started the kernel with SIGINT ignored (a tool run in the background by a
    /// non-interactive shell passes it on so); .NET installs no handler for an inherited ignored SIGINT, so the bridge
    /// re-runs itself with the default first.
    /// </summary>
    [Theory]
    [InlineData("interrupt_signal", false)]
    [InlineData("interrupt_signal", true)]
    [InlineData("interrupt_message", false)]
    public async Task Interrupt_StopsTheRunningCell(string how, bool ignoreSigint)
    {
        ToolDriver tool = Driver();
        await tool.StartKernelAsync(BridgeEnvironment.Python3, ignoreSigint: ignoreSigint);
        await tool.SendAsync(new JsonObject
        {
            ["op"] = "execute", ["code"] = "import time\nprint('started', flush=True)\ntime.sleep(120)", ["stop_on"] = "started", ["timeout"] = 60,
        }, Timeouts.Step);

        JsonObject interrupted = await tool.SendAsync(new JsonObject { ["op"] = how });
        JsonObject cell = await tool.SendAsync(new JsonObject { ["op"] = "finish", ["timeout"] = 30 }, Timeouts.Step);

        Assert.Equal("error", cell["status"]!.GetValue<string>());
        Assert.Equal("KeyboardInterrupt", cell["ename"]!.GetValue<string>());
        if (how == "interrupt_message")
        {
            Assert.Equal("ok", interrupted["status"]!.GetValue<string>());
        }
        Assert.Equal("ok", (await tool.ExecuteAsync("1"))["status"]!.GetValue<string>()); // the kernel lives on
    }

    [Fact]
    public async Task Input_RequestReachesTheTool_AndItsAnswerTheKernel()
    {
        ToolDriver tool = Driver();
        await tool.StartKernelAsync(BridgeEnvironment.Python3);

        JsonObject cell = await tool.SendAsync(new JsonObject
        {
            ["op"] = "execute", ["code"] = "name = input('name? ')\nprint('hello', name)", ["input"] = "bridge",
        }, Timeouts.Step);

        Assert.Equal("name? ", cell["prompt"]!.GetValue<string>());
        Assert.Equal("hello bridge\n", cell["stdout"]!.GetValue<string>());
    }

    [Fact]
    public async Task Heartbeat_IsAnsweredWhileTheKernelRuns()
    {
        ToolDriver tool = Driver();
        await tool.StartKernelAsync(BridgeEnvironment.Python3);

        JsonObject heartbeat = await tool.SendAsync(new JsonObject { ["op"] = "heartbeat", ["seconds"] = 4 });

        Assert.True(heartbeat["beating"]!.GetValue<bool>(), "jupyter_client's heartbeat channel saw no answers");
    }

    [Fact]
    public async Task DeathOnTheGateway_ReachesTheTool_AndARestartBringsTheKernelBack()
    {
        ToolDriver tool = Driver();
        (string kernel, _) = await StartAndFindAsync(tool);

        JsonObject dying = await tool.ExecuteAsync("import os\nos._exit(3)");
        await WaitUntilDeadAsync(tool); // the bridge exits like a local kernel that died

        Assert.Equal("error", dying["status"]!.GetValue<string>()); // the gateway's KernelDied reply, relayed
        Assert.Contains(kernel, await fixture.GatewayKernelsAsync()); // dead, kept for the restart (or the lease)
        await tool.SendAsync(new JsonObject { ["op"] = "restart_now" }, Timeouts.KernelStart);
        Assert.Equal("ok", (await tool.ExecuteAsync("1"))["status"]!.GetValue<string>());
        Assert.Contains(kernel, await fixture.GatewayKernelsAsync());
    }

    [Fact]
    public async Task DroppedConnection_IsReestablished_AndTheOutputMeanwhileArrives()
    {
        ToolDriver tool = Driver();
        int bridge = (await tool.StartKernelAsync(BridgeEnvironment.Python3))["pid"]!.GetValue<int>();
        await tool.SendAsync(new JsonObject
        {
            ["op"] = "execute", ["code"] = "import time\nfor i in range(8):\n    print(i, flush=True)\n    time.sleep(0.5)", ["stop_on"] = "1\n", ["timeout"] = 60,
        }, Timeouts.Step);

        int killed = await Connections.KillAsync(bridge, fixture.Gateway.Port);
        JsonObject cell = await tool.SendAsync(new JsonObject { ["op"] = "finish", ["timeout"] = 60 }, Timeouts.Step);

        Assert.True(killed > 0, "no websocket of the bridge to the gateway was found to drop");
        Assert.Equal("ok", cell["status"]!.GetValue<string>());
        Assert.Equal(string.Concat(Enumerable.Range(0, 8).Select(i => $"{i}\n")), cell["stdout"]!.GetValue<string>());
        Assert.Contains("Reconnected to kernel", tool.Log, StringComparison.Ordinal);
        Assert.Equal("ok", (await tool.ExecuteAsync("1"))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwentyBridgedKernels_RunAtOnce()
    {
        ToolDriver tool = Driver();
        IReadOnlyList<string> before = await fixture.GatewayKernelsAsync();

        JsonObject many = await tool.SendAsync(new JsonObject { ["op"] = "start_many", ["kernel"] = BridgeEnvironment.Python3, ["count"] = 20 }, TimeSpan.FromMinutes(8));

        string[] outputs = many["outputs"]!.AsArray().Select(o => o!.GetValue<string>()).ToArray();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{i * i}\n"), outputs);
        await fixture.WaitForKernelsAsync(k => !k.Except(before).Any(), Timeouts.Short, "all 20 gateway kernels deleted by their shutdowns");
    }

    [Fact]
    public async Task Workspace_FollowsTheWorkingDirectory_AcrossKernels()
    {
        string first = Path.Combine(fixture.Environment.Root, "project-a");
        string second = Path.Combine(fixture.Environment.Root, "project-b");
        Directory.CreateDirectory(first);
        Directory.CreateDirectory(second);
        ToolDriver tool = Driver();
        await tool.StartKernelAsync(BridgeEnvironment.Python3, first);
        await tool.ExecuteAsync("open('notes.txt', 'w').write('from a')");
        await tool.SendAsync(new JsonObject { ["op"] = "shutdown" });

        ToolDriver again = Driver();
        await again.StartKernelAsync(BridgeEnvironment.Python3, first);
        JsonObject sameDirectory = await again.ExecuteAsync("print(open('notes.txt').read())");
        ToolDriver other = Driver();
        await other.StartKernelAsync(BridgeEnvironment.Python3, second);
        JsonObject otherDirectory = await other.ExecuteAsync("import os\nprint(os.path.exists('notes.txt'))");

        Assert.Equal("from a\n", sameDirectory["stdout"]!.GetValue<string>());
        Assert.Equal("False\n", otherDirectory["stdout"]!.GetValue<string>());
    }

    private ToolDriver Driver()
    {
        ToolDriver driver = ToolDriver.Start(fixture.Environment);
        _drivers.Add(driver);
        return driver;
    }

    /// <summary>Starts the bridged kernel; returns the gateway kernel it started and the bridge's process id.</summary>
    private async Task<(string Kernel, int Bridge)> StartAndFindAsync(ToolDriver tool)
    {
        IReadOnlyList<string> before = await fixture.GatewayKernelsAsync();
        JsonObject started = await tool.StartKernelAsync(BridgeEnvironment.Python3);
        return (Assert.Single((await fixture.GatewayKernelsAsync()).Except(before)), started["pid"]!.GetValue<int>());
    }

    private static async Task WaitUntilDeadAsync(ToolDriver tool)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Timeouts.Short)
        {
            if (!(await tool.SendAsync(new JsonObject { ["op"] = "alive" }))["alive"]!.GetValue<bool>())
            {
                return;
            }
            await Task.Delay(200); // polling the tool's view with a deadline
        }
        Assert.Fail("the bridge process is still alive\n" + tool.Log);
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>
/// dockerd killed (SIGKILL) and started again under running kernels, without and with <c>live-restore</c>. Runs alone,
/// after every other collection of this assembly (the engine is down meanwhile), with a sandbox environment of its own.
/// Always against Docker: scripts/test.sh leaves the engine restart tests out of its run against Podman, and Podman's
/// own is <see cref="PodmanServiceRestartTests"/>.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EngineRestartCollection : ICollectionFixture<SandboxEnvironment>
{
    public const string Name = "Engine restarts (alone)";
}

[Collection(EngineRestartCollection.Name)]
public sealed class EngineRestartTests(SandboxEnvironment env)
{
    private const string DaemonJson = "/etc/docker/daemon.json";

    [Fact]
    public async Task WithoutLiveRestore_KernelsDieWithTheReason_RestartWorks_NothingLeaks()
    {
        var loopsBefore = LoopDevices();
        var fdsBefore = Directory.GetFiles("/proc/self/fd").Length;
        var manager = await env.CreateManagerAsync("engine-restart");
        var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "e" });
        await SandboxEnvironment.RunAsync(kernel, "x = 1");
        var container = kernel.ContainerId!;
        var dead = KernelEvents.WaitForAsync(manager, kernel.Id, SandboxKernelState.Dead);

        await RestartEngineAsync();

        var died = await dead.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.False(string.IsNullOrEmpty(died.Reason));
        Assert.Null(kernel.ContainerId);
        Assert.True(await KernelEvents.EventuallyAsync(() => Directory.GetFileSystemEntries(manager.SocketRoot).Length == 0, TestTimeouts.Step),
            "the dead run's socket directory was not removed: " + string.Join(", ", Directory.GetFileSystemEntries(manager.SocketRoot)));
        Assert.Null(await env.Docker.Containers.TryInspectAsync(container));

        // The kernel is restartable in its kept workspace, and new kernels start: the event stream came back.
        await manager.RestartKernelAsync(kernel.Id);
        Assert.Equal("2", await SandboxEnvironment.RunAsync(kernel, "print(1 + 1)"));
        var fresh = await manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        var freshDeath = KernelEvents.WaitForAsync(manager, fresh.Id, SandboxKernelState.Dead);
        await env.Docker.Containers.KillAsync(fresh.ContainerId!, "SIGKILL");
        Assert.Contains("signal 9", (await freshDeath.WaitAsync(TestTimeouts.Long)).Reason, StringComparison.Ordinal);

        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
        Assert.Equal(loopsBefore, LoopDevices());
        Assert.InRange(Directory.GetFiles("/proc/self/fd").Length, 0, fdsBefore + 10);
    }

    [Fact]
    public async Task WithLiveRestore_KernelsSurvive_AndTheEventStreamReconnects()
    {
        var original = await File.ReadAllTextAsync(DaemonJson);
        await SetLiveRestoreAsync(original, true);
        try
        {
            var manager = await env.CreateManagerAsync("live-restore");
            var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
            await SandboxEnvironment.RunAsync(kernel, "y = 'survives the engine'");
            var container = kernel.ContainerId!;

            await RestartEngineAsync();

            await AssertSurvivedAndLaterDeathsSeenAsync(env, manager, kernel, container, "survives the engine");
            await manager.DisposeAsync();
            await env.AssertNothingLeftAsync(manager.Owner);
        }
        finally
        {
            // A reload only changes keys the file names: false is set explicitly, then the file is put back as it was.
            await SetLiveRestoreAsync(original, false);
            await File.WriteAllTextAsync(DaemonJson, original);
        }
    }

    /// <summary>
    /// The kernel kept its container and variable <c>y</c> through the engine's restart, the event stream came back, and
    /// a death after it (SIGKILL) is seen through the re-established stream.
    /// </summary>
    internal static async Task AssertSurvivedAndLaterDeathsSeenAsync(SandboxEnvironment env, SandboxKernelManager manager, SandboxKernel kernel, string container, string y)
    {
        Assert.Equal(y, await SandboxEnvironment.RunAsync(kernel, "print(y)"));
        Assert.Equal(SandboxKernelState.Running, kernel.State);
        Assert.Equal(container, kernel.ContainerId);
        Assert.True(await KernelEvents.EventuallyAsync(() => env.Logs.Dump().Contains("Resubscribed to the engine's event stream", StringComparison.Ordinal), TimeSpan.FromSeconds(30)));

        var dead = KernelEvents.WaitForAsync(manager, kernel.Id, SandboxKernelState.Dead);
        await env.Docker.Containers.KillAsync(container, "SIGKILL");
        Assert.Contains("signal 9", (await dead.WaitAsync(TestTimeouts.Long)).Reason, StringComparison.Ordinal);
    }

    private static async Task SetLiveRestoreAsync(string original, bool enabled)
    {
        var config = JsonNode.Parse(original)!.AsObject();
        config["live-restore"] = enabled;
        await File.WriteAllTextAsync(DaemonJson, config.ToJsonString());
        await ReloadEngineConfigAsync(enabled);
    }

    /// <summary>
    /// SIGKILL to dockerd; its containerd dies with it (the engine starts it with a parent-death signal) while the
    /// containers' shims live on. Once both are gone, the project's own start-up (scripts/lib/docker-engine.sh) starts
    /// the engine again and waits until it answers.
    /// </summary>
    private static async Task RestartEngineAsync()
    {
        var dockerd = ReadPid("/var/run/docker.pid");
        var containerd = File.Exists(ContainerdPidFile) ? ReadPid(ContainerdPidFile) : (int?)null;
        TestLibC.Kill(dockerd, TestLibC.SIGKILL);
        Assert.True(await KernelEvents.EventuallyAsync(() => Gone(dockerd) && (containerd is not { } c || Gone(c)), TestTimeouts.Step),
            $"dockerd {dockerd} or its containerd {containerd} did not exit after SIGKILL");
        await RunEngineScriptAsync("docker-engine.sh", "ensure_docker_engine");
    }

    /// <summary>SIGHUP makes dockerd re-read daemon.json; done when the engine reports the new live-restore setting.</summary>
    private static async Task ReloadEngineConfigAsync(bool liveRestore)
    {
        TestLibC.Kill(ReadPid("/var/run/docker.pid"), TestLibC.SIGHUP);
        var expected = liveRestore ? "true" : "false";
        string seen = "";
        Assert.True(await KernelEvents.EventuallyAsync(() => (seen = DockerInfo("{{.LiveRestoreEnabled}}")) == expected, TestTimeouts.Step),
            $"the engine reports live-restore {seen}, not {expected}, after SIGHUP");
    }

    private const string ContainerdPidFile = "/var/run/docker/containerd/containerd.pid";

    private static int ReadPid(string file) => int.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Exited: no such process, or a zombie nobody reaped (pid 1 here may not).</summary>
    internal static bool Gone(int pid) =>
        !File.Exists($"/proc/{pid}/status") || File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal);

    private static string DockerInfo(string format)
    {
        using var process = Process.Start(new ProcessStartInfo("docker", ["info", "--format", format]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Trim();
    }

    internal static async Task RunEngineScriptAsync(string script, string function)
    {
        var start = new ProcessStartInfo("bash", ["-c", $"source scripts/lib/{script} && {function}"])
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"{function} failed: {await stderr}{await stdout}");
    }

    internal static IReadOnlyList<string> LoopDevices() =>
        Directory.GetDirectories("/sys/block", "loop*").Where(d => File.Exists(Path.Combine(d, "loop", "backing_file"))).Select(Path.GetFileName).Order().ToList()!;
}

using NotebookGateway.Kernels.Lifecycle;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>A sandbox environment on Podman, whatever engine the rest of the run is against.</summary>
public sealed class PodmanSandboxEnvironment : SandboxEnvironment
{
    public PodmanSandboxEnvironment()
        : base(podman: true)
    {
    }
}

/// <summary>Podman's service killed under a running kernel; runs alone, like <see cref="EngineRestartTests"/>.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PodmanServiceRestartCollection : ICollectionFixture<PodmanSandboxEnvironment>
{
    public const string Name = "Podman service restart (alone)";
}

/// <summary>Always against Podman: scripts/test.sh runs it once, in the run against Docker.</summary>
[Collection(PodmanServiceRestartCollection.Name)]
public sealed class PodmanServiceRestartTests(PodmanSandboxEnvironment env)
{
    /// <summary>
    /// Podman has no daemon holding the containers: each kernel's conmon is its parent, so a killed service loses no
    /// kernel, as with live-restore. The gateway's event stream breaks and must come back on the new service.
    /// </summary>
    [Fact]
    public async Task PodmanServiceKilled_KernelsSurvive_AndTheEventStreamReconnects()
    {
        var loopsBefore = EngineRestartTests.LoopDevices();
        var manager = await env.CreateManagerAsync("podman-restart");
        var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "p" });
        await SandboxEnvironment.RunAsync(kernel, "y = 'survives the service'");
        var container = kernel.ContainerId!;

        var service = PodmanServicePid() ?? throw new InvalidOperationException("no `podman system service` process runs");
        TestLibC.Kill(service, TestLibC.SIGKILL);
        Assert.True(await KernelEvents.EventuallyAsync(() => EngineRestartTests.Gone(service), TestTimeouts.Step), $"podman service {service} did not exit after SIGKILL");
        await EngineRestartTests.RunEngineScriptAsync("podman-engine.sh", "ensure_podman_engine");

        await EngineRestartTests.AssertSurvivedAndLaterDeathsSeenAsync(env, manager, kernel, container, "survives the service");
        await manager.RestartKernelAsync(kernel.Id);
        Assert.Equal("2", await SandboxEnvironment.RunAsync(kernel, "print(1 + 1)"));
        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
        Assert.Equal(loopsBefore, EngineRestartTests.LoopDevices());
    }

    private static int? PodmanServicePid()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid)
                && File.Exists(Path.Combine(directory, "cmdline"))
                && File.ReadAllText(Path.Combine(directory, "cmdline")).StartsWith("podman\0system\0service\0", StringComparison.Ordinal))
            {
                return pid;
            }
        }

        return null;
    }
}

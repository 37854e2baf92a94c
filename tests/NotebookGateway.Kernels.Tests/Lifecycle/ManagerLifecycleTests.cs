using System.Text.Json.Nodes;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.Specs;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>Start failures, orphans, disposal and the self-test, each with a manager of its own.</summary>
[Collection(SandboxCollection.Name)]
public sealed class ManagerLifecycleTests(SandboxEnvironment env)
{
    [Fact]
    public async Task Start_CommandThatNeverBinds_TimesOutAndLeavesNothing()
    {
        env.WriteSpec("never-binds", ["sleep", "600"]);
        var manager = await env.CreateManagerAsync("timeout", o => o.LaunchTimeoutSeconds = 3);

        var ex = await Assert.ThrowsAsync<KernelLaunchException>(() =>
            manager.StartKernelAsync(new KernelStartRequest { SpecName = "never-binds", SessionId = "s" })).WaitAsync(TestTimeouts.Long);

        Assert.Contains("did not become ready within 3 s", ex.Message, StringComparison.Ordinal);
        Assert.Empty(manager.ListKernels());
        Assert.Empty(await env.ContainersOfAsync(manager.Owner));
        Assert.Empty(Directory.EnumerateFileSystemEntries(manager.SocketRoot));
        Assert.Empty(HostMounts.MountPointsUnder(manager.SocketRoot));

        // The session outlives a failed start (the server ends it); ending it removes its workspace.
        Assert.Contains(manager.Sessions, s => s.Id == "s");
        await manager.EndSessionAsync("s");
        await env.AssertNothingLeftAsync(manager.Owner);
        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
    }

    [Fact]
    public async Task Start_CommandThatExits_FailsAtOnceWithItsOutput()
    {
        env.WriteSpec("exits", ["/bin/sh", "-c", "echo boom-from-kernel >&2; exit 3"]);
        var kernelId = "exits-" + Guid.NewGuid().ToString("N")[..8];

        var ex = await Assert.ThrowsAsync<KernelLaunchException>(() =>
            env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = "exits", KernelId = kernelId })).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Contains("exited with code 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("boom-from-kernel", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await env.ContainersOfAsync(env.Shared.Owner), c => c.Labels?.GetValueOrDefault("org.notebookgateway.kernel") == kernelId);
    }

    [Fact]
    public async Task Start_UnknownSpecOrMissingImage_IsRefusedWithTheReason()
    {
        env.WriteSpec("no-image", SandboxEnvironment.PythonArgv, image: "notebookgateway/does-not-exist:latest");

        var missing = await Assert.ThrowsAsync<KernelSpecNotFoundException>(() => env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = "no-image" }));
        var unknown = await Assert.ThrowsAsync<KernelSpecNotFoundException>(() => env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = "nope" }));

        Assert.Contains("bash scripts/build-images.sh", missing.Message, StringComparison.Ordinal);
        Assert.Contains("No kernelspec named 'nope'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_OrphansOfAnEarlierProcessWithoutState_AreRemoved()
    {
        var crashed = await env.CreateManagerAsync("orphans");
        var kernel = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "o" });
        var containerId = kernel.ContainerId!;
        await crashed.AbandonForTestingAsync();
        Assert.NotNull(await env.Docker.Containers.TryInspectAsync(containerId));
        Assert.NotEmpty(env.HostLeftoversOf(crashed.Owner));

        // Its state is lost (ReadoptionTests covers the kernels taken back with it): nothing can be adopted.
        Assert.Empty(NoFollow.DeleteTree(Path.Combine(env.StateRoot, crashed.Owner)));

        var next = await env.CreateManagerAsync("orphans");

        Assert.Equal(crashed.Owner, next.Owner);
        Assert.Null(await env.Docker.Containers.TryInspectAsync(containerId));
        await env.AssertNothingLeftAsync(next.Owner);
        await next.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_RemovesEveryContainerSocketDirectoryAndWorkspace()
    {
        var manager = await env.CreateManagerAsync("dispose");
        var a = await manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "x" });
        var b = await manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "y" });
        Assert.Equal(2, (await env.ContainersOfAsync(manager.Owner)).Count);

        await manager.DisposeAsync();

        Assert.Equal(SandboxKernelState.Stopped, a.State);
        Assert.Equal(SandboxKernelState.Stopped, b.State);
        await env.AssertNothingLeftAsync(manager.Owner);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py }));
    }

    [Fact]
    public async Task SelfTest_ProfileWithoutTheSentinel_RefusesToServeKernels()
    {
        // Docker's default allows personality(PER_LINUX32); a profile that does too fails the sentinel.
        var profile = JsonNode.Parse(await File.ReadAllTextAsync(RepositoryPaths.SeccompProfile))!;
        profile["syscalls"]!.AsArray().Add(new JsonObject { ["names"] = new JsonArray("personality"), ["action"] = "SCMP_ACT_ALLOW" });
        var path = Path.Combine(env.Root, "weak-seccomp.json");
        await File.WriteAllTextAsync(path, profile.ToJsonString());
        using var events = new MetricRecorder("security_events", "kind");
        var manager = await env.CreateManagerAsync("weak", o => o.SeccompProfile = path);

        var ex = await Assert.ThrowsAsync<SandboxSelfTestException>(() => manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py }));

        Assert.Contains("personality(PER_LINUX32)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ex.Message, manager.RefusalReason);
        Assert.False(manager.LastSelfTest!.Passed);
        Assert.Equal(1, events[SecurityEventKinds.SelfTestFailed]);
        var again = await Assert.ThrowsAsync<SandboxSelfTestException>(() => manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py }));
        Assert.Equal(ex.Message, again.Message);
        await env.AssertNothingLeftAsync(manager.Owner);
        await manager.DisposeAsync();
    }

    [Fact]
    public async Task SelfTest_NonPythonKernel_UsesAProbeContainerWithTheSameEnvelope()
    {
        env.WriteSpec("other-language", SandboxEnvironment.PythonArgv, language: "not-python");
        var manager = await env.CreateManagerAsync("probe");

        var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = "other-language" });

        var result = manager.LastSelfTest!;
        Assert.True(result.Passed, result.ToString());
        Assert.Equal("2", result.Observed["Seccomp"]);
        Assert.Equal("1", result.Observed["Personality32"]);
        Assert.Equal((SandboxEnvironment.PyMemoryMiB * 1048576L).ToString(System.Globalization.CultureInfo.InvariantCulture), result.Observed["MemoryLimit"]);
        Assert.Equal(SandboxEnvironment.PyPids.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Observed["PidsLimit"]);
        Assert.Equal(SandboxKernelState.Running, kernel.State);
        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.State;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>
/// A gateway process that dies (or stops in keep mode) and the next one of the same owner: kernels that check out are
/// taken back with their variables and workspace; tampered state never is, and is counted as a security event.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ReadoptionTests(SandboxEnvironment env)
{
    private static int s_ranges;

    [Fact]
    public async Task Crash_NextManagerTakesTheKernelBack_SameContainerVariablesAndWorkspace()
    {
        var same = SameUids();
        var crashed = await env.CreateManagerAsync("readopt", same);
        var kernel = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "w" });
        await SandboxEnvironment.RunAsync(kernel, "x = 42\nopen('/home/sandbox/work/kept.txt', 'w').write('still here')");
        var before = (kernel.Id, Container: kernel.ContainerId!, kernel.Session.Uid, kernel.Session.Key, kernel.Session.WorkspaceHostPath);
        await crashed.AbandonForTestingAsync();

        var next = await env.CreateManagerAsync("readopt", same);

        var back = next.GetKernel(before.Id);
        Assert.Equal(SandboxKernelState.Running, back.State);
        Assert.Contains(back, next.Readopted);
        Assert.Equal(before.Container, back.ContainerId);
        Assert.Equal((before.Uid, before.Key, before.WorkspaceHostPath), (back.Session.Uid, back.Session.Key, back.Session.WorkspaceHostPath));
        Assert.Equal("42", await SandboxEnvironment.RunAsync(back, "print(x)"));
        Assert.Equal("still here", await SandboxEnvironment.RunAsync(back, "print(open('/home/sandbox/work/kept.txt').read())"));

        // Taken back means fully managed: restart, then shutdown remove everything as for a kernel of this process.
        await next.RestartKernelAsync(back.Id);
        Assert.NotEqual(before.Container, back.ContainerId);
        await next.ShutdownKernelAsync(back.Id);
        await next.EndSessionAsync("w");
        await env.AssertNothingLeftAsync(next.Owner);
        await next.DisposeAsync();
    }

    [Fact]
    public async Task KeepOnStop_KernelsSurviveAGracefulStop_AndTheNextStartTakesThemBack()
    {
        var keep = SameUids(o => o.OnStop = StopBehavior.KeepKernels);
        var first = await env.CreateManagerAsync("keep", keep);
        var kernel = await first.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        await SandboxEnvironment.RunAsync(kernel, "y = 'kept across an upgrade'");
        var container = kernel.ContainerId!;

        await first.DisposeAsync();

        Assert.True((await env.Docker.Containers.InspectAsync(container)).State!.Running);
        var remove = SameUids(o => o.OnStop = StopBehavior.RemoveKernels, keep);
        var second = await env.CreateManagerAsync("keep", remove);
        var back = second.GetKernel(kernel.Id);
        Assert.Equal("kept across an upgrade", await SandboxEnvironment.RunAsync(back, "print(y)"));

        // Remove mode (the default) empties the state: a third start finds nothing to take back.
        await second.DisposeAsync();
        Assert.Null(await env.Docker.Containers.TryInspectAsync(container));
        var third = await env.CreateManagerAsync("keep", remove);
        Assert.Empty(third.ListKernels());
        await third.DisposeAsync();
        await env.AssertNothingLeftAsync(third.Owner);
    }

    [Fact]
    public async Task TamperedStateFile_IsNeverAdopted_ContainerRemoved_SecurityEventCounted()
    {
        var same = SameUids();
        var crashed = await env.CreateManagerAsync("tamper-file", same);
        var edited = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        var truncated = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        var containers = new[] { edited.ContainerId!, truncated.ContainerId! };
        await crashed.AbandonForTestingAsync();
        var kernelsDir = Path.Combine(env.StateRoot, crashed.Owner, "kernels");
        var editedPath = Path.Combine(kernelsDir, edited.Id);
        var text = await File.ReadAllTextAsync(editedPath);
        await File.WriteAllTextAsync(editedPath, text.Replace("\"SpecName\":\"", "\"SpecName\":\"x", StringComparison.Ordinal));
        var truncatedPath = Path.Combine(kernelsDir, truncated.Id);
        var bytes = await File.ReadAllBytesAsync(truncatedPath);
        await File.WriteAllBytesAsync(truncatedPath, bytes[..(bytes.Length / 2)]);
        using var events = new MetricRecorder("security_events", "kind");

        var next = await env.CreateManagerAsync("tamper-file", same);

        Assert.Empty(next.ListKernels());
        Assert.Equal(2, events[SecurityEventKinds.StateTampered]);
        foreach (var container in containers)
        {
            Assert.Null(await env.Docker.Containers.TryInspectAsync(container));
        }

        Assert.Contains("does not match its seal", env.Logs.Dump(), StringComparison.Ordinal);
        await next.DisposeAsync();
        await env.AssertNothingLeftAsync(next.Owner);
    }

    [Fact]
    public async Task SocketReplacedBySymlink_IsNotAdopted_KernelDeadWithTheReason_AndRestartable()
    {
        var same = SameUids();
        var crashed = await env.CreateManagerAsync("tamper-socket", same);
        var kernel = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "s" });
        var container = kernel.ContainerId!;
        var shell = Path.Combine(kernel.Run!.Sockets.HostPath, Path.GetFileName(kernel.Connection.IpcPathOf(Jupyter.Messages.MessageChannel.Shell))!);
        await crashed.AbandonForTestingAsync();
        File.Delete(shell);
        File.CreateSymbolicLink(shell, "/run/docker.sock");
        using var events = new MetricRecorder("security_events", "kind");

        var next = await env.CreateManagerAsync("tamper-socket", same);

        var dead = next.GetKernel(kernel.Id);
        Assert.Equal(SandboxKernelState.Dead, dead.State);
        Assert.Contains("symbolic link", dead.DeathReason, StringComparison.Ordinal);
        Assert.Equal(1, events[SecurityEventKinds.SocketSymlink]);
        Assert.Null(await env.Docker.Containers.TryInspectAsync(container));

        // The workspace was kept: a restart gives the kernel a new container in it.
        await next.RestartKernelAsync(kernel.Id);
        Assert.Equal("2", await SandboxEnvironment.RunAsync(dead, "print(1 + 1)"));
        await next.DisposeAsync();
        await env.AssertNothingLeftAsync(next.Owner);
    }

    [Fact]
    public async Task SealedRecordPointingElsewhere_WrongContainerOrWrongKey_IsRefused()
    {
        var same = SameUids(o => o.ReadoptTimeoutSeconds = 3);
        var crashed = await env.CreateManagerAsync("tamper-record", same);
        var relabelled = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        var rekeyed = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        var other = await crashed.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        await crashed.AbandonForTestingAsync();

        // Someone with the seal key (root) rewrites records: one names another kernel's container, one a key that the
        // kernel never had. The checks against the engine and the kernel itself still refuse both.
        var files = new StateFiles(Path.Combine(env.StateRoot, crashed.Owner));
        Rewrite(files, relabelled.Id, run => run["ContainerId"] = other.ContainerId);
        Rewrite(files, rekeyed.Id, run => run["Connection"]!["key"] = Guid.NewGuid().ToString());
        using var events = new MetricRecorder("security_events", "kind");

        var next = await env.CreateManagerAsync("tamper-record", same);

        Assert.Contains("label org.notebookgateway.kernel", next.GetKernel(relabelled.Id).DeathReason, StringComparison.Ordinal);
        Assert.Contains("did not answer kernel_info with its stored key", next.GetKernel(rekeyed.Id).DeathReason, StringComparison.Ordinal);
        Assert.Equal(SandboxKernelState.Running, next.GetKernel(other.Id).State);
        Assert.Equal(2, events[SecurityEventKinds.ReadoptRefused]);
        Assert.Null(await env.Docker.Containers.TryInspectAsync(rekeyed.ContainerId!));
        await next.DisposeAsync();
        await env.AssertNothingLeftAsync(next.Owner);
    }

    [Theory]
    [InlineData("state", "the session's uid or workspace could not be set up")]
    [InlineData("sockets", "its socket directory could not be made")]
    public async Task FullDisk_StartFailsWithAClearError_RunningKernelsUnharmed(string which, string expected)
    {
        var root = Path.Combine(env.Root, $"small-{which}-{Interlocked.Increment(ref s_ranges)}");
        Directory.CreateDirectory(root);
        Assert.Null(HostMounts.TryMountTmpfs(root, "size=256k,nr_inodes=64,mode=0755"));
        try
        {
            var manager = await env.CreateManagerAsync("full-" + which, o =>
            {
                if (which == "state")
                {
                    o.StateRoot = root;
                }
                else
                {
                    o.SocketRoot = root;
                }
            });
            var running = await manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
            var filler = Path.Combine(root, "filler");
            Directory.CreateDirectory(filler);
            foreach (var size in new[] { 16 * 1024, 0 })
            {
                // Blocks first, then inodes: whatever the gateway writes next finds no room.
                Assert.Throws<IOException>((Action)(() =>
                {
                    for (var i = 0; ; i++)
                    {
                        File.WriteAllBytes(Path.Combine(filler, $"{size}-{i}"), new byte[size]);
                    }
                }));
            }

            var ex = await Assert.ThrowsAsync<KernelLaunchException>(() => manager.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py, SessionId = "late" }));

            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
            Assert.Contains("No space left on device", ex.Message, StringComparison.Ordinal);
            Assert.Single(await env.ContainersOfAsync(manager.Owner));
            Assert.Equal("ok", await SandboxEnvironment.RunAsync(running, "print('ok')"));
            Assert.Empty(NoFollow.DeleteTree(filler));
            await manager.EndSessionAsync("late");
            await manager.DisposeAsync();
            await env.AssertNothingLeftAsync(manager.Owner);
        }
        finally
        {
            _ = HostMounts.TryUnmount(root, detach: true);
        }
    }

    /// <summary>Options that give every manager of one test the same uid range (a restarted gateway keeps its configuration).</summary>
    private static Action<SandboxOptions> SameUids(Action<SandboxOptions>? also = null, Action<SandboxOptions>? previous = null)
    {
        var range = previous is null ? new UidRangeOptions { First = 450_000 + (Interlocked.Increment(ref s_ranges) * 1000), Count = 1000 } : null;
        return o =>
        {
            previous?.Invoke(o);
            if (range is not null)
            {
                o.UidRange = range;
            }

            also?.Invoke(o);
        };
    }

    private static void Rewrite(StateFiles files, string kernelId, Action<JsonNode> changeRun)
    {
        var body = files.ReadAll("kernels").Single(f => f.Name == kernelId).Body;
        var record = JsonNode.Parse(body.Span)!;
        changeRun(record["Run"]!);
        files.Write("kernels", kernelId, JsonSerializer.SerializeToUtf8Bytes(record));
    }
}

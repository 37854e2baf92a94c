using System.Net.Sockets;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>Destructive abuse, each on a kernel of its own; the shared "other" kernel must keep working throughout.</summary>
[Collection(SandboxCollection.Name)]
public sealed class AbuseTests(SandboxEnvironment env)
{
    [Fact]
    public async Task ForkBomb_IsHeldAtThePidsLimit_OtherKernelsRunAndRestartRecovers()
    {
        var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        try
        {
            // Python fork loop: refused with EAGAIN before the limit, and the kernel survives it.
            var forks = await SandboxEnvironment.RunJsonAsync(kernel, """
                import json, os, signal, time
                pids, err = [], None
                try:
                    while len(pids) < 10000:
                        pid = os.fork()
                        if pid == 0:
                            time.sleep(60); os._exit(0)
                        pids.append(pid)
                except OSError as e:
                    err = e.errno
                for p in pids:
                    os.kill(p, signal.SIGKILL)
                for p in pids:
                    os.waitpid(p, 0)
                print(json.dumps({'errno': err, 'children': len(pids)}))
                """);
            Assert.Equal(11, forks.GetProperty("errno").GetInt32());
            Assert.InRange(forks.GetProperty("children").GetInt32(), 1, SandboxEnvironment.PyPids);

            // The bash classic, left running: the container sits at its pids limit.
            await SandboxEnvironment.RunAsync(kernel, "import subprocess\nsubprocess.Popen(['bash', '-c', ':(){ :|:& };:'], start_new_session=True)");
            var pidsCurrent = Path.Combine(TestEngine.CgroupDirectory("pids", kernel.ContainerId!), "pids.current");
            Assert.True(await KernelEvents.EventuallyAsync(() => ReadLong(pidsCurrent) >= SandboxEnvironment.PyPids - 2, TestTimeouts.Long),
                $"pids.current stayed at {ReadLong(pidsCurrent)}");
            Assert.True(ReadLong(pidsCurrent) <= SandboxEnvironment.PyPids);

            Assert.Equal("fine", await SandboxEnvironment.RunAsync(env.OtherKernel, "print('fine')"));

            var oldContainer = kernel.ContainerId!;
            await env.Shared.RestartKernelAsync(kernel.Id);
            Assert.Null(await env.Docker.Containers.TryInspectAsync(oldContainer));
            Assert.Equal("recovered", await SandboxEnvironment.RunAsync(kernel, "print('recovered')"));
        }
        finally
        {
            await env.Shared.ShutdownKernelAsync(kernel.Id);
        }
    }

    [Fact]
    public async Task TenGigabyteAllocation_KillsOnlyThatKernel_AndIsReportedAsMemoryLimit()
    {
        using var deaths = new MetricRecorder("kernel_deaths", "cause");
        var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        try
        {
            var containerId = kernel.ContainerId!;
            var dead = KernelEvents.WaitForAsync(env.Shared, kernel.Id, SandboxKernelState.Dead);
            var cell = kernel.Client.ExecuteAsync("x = bytearray(10 * 2**30)");

            var death = await dead.WaitAsync(TestTimeouts.Long);

            Assert.Equal($"memory limit of {SandboxEnvironment.PyMemoryMiB} MiB exceeded", death.Reason);
            Assert.Equal(SandboxKernelState.Dead, kernel.State);
            Assert.Equal(death.Reason, kernel.DeathReason);
            Assert.Equal(1, deaths["oom"]);
            await Assert.ThrowsAnyAsync<Exception>(() => cell.WaitAsync(TestTimeouts.Short));
            Assert.True(await KernelEvents.EventuallyAsync(() => env.Docker.Containers.TryInspectAsync(containerId).GetAwaiter().GetResult() is null, TestTimeouts.Short),
                "the dead kernel's container was not removed");
            Assert.Equal("fine", await SandboxEnvironment.RunAsync(env.OtherKernel, "print('fine')"));

            await env.Shared.RestartKernelAsync(kernel.Id);
            Assert.Equal(SandboxKernelState.Running, kernel.State);
            Assert.Null(kernel.DeathReason);
            Assert.Equal("back", await SandboxEnvironment.RunAsync(kernel, "print('back')"));
        }
        finally
        {
            await env.Shared.ShutdownKernelAsync(kernel.Id);
        }
    }

    [Fact]
    public async Task KillingPid1_IsReportedAsDeathBySignal()
    {
        var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
        try
        {
            var dead = KernelEvents.WaitForAsync(env.Shared, kernel.Id, SandboxKernelState.Dead);
            _ = kernel.Client.ExecuteAsync("import os, signal\nos.kill(1, signal.SIGTERM)");

            var death = await dead.WaitAsync(TestTimeouts.Long);

            Assert.Equal("the kernel was killed by signal 15 (SIGTERM)", death.Reason);
        }
        finally
        {
            await env.Shared.ShutdownKernelAsync(kernel.Id);
        }
    }

    [Fact]
    public async Task SymlinksPlantedInTheSocketDirectory_AreRefusedAndNothingReachesTheTarget()
    {
        var target = Path.Combine(env.Root, $"target-{Guid.NewGuid():N}"[..20] + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(target));
        listener.Listen(16);
        env.WriteSpec("plant-symlink", ["/bin/sh", "-c", $"for i in 1 2 3 4 5; do ln -s '{target}' /kernel/sockets/k-$i; done; exec sleep 600"]);
        using var events = new MetricRecorder("security_events", "kind");
        var kernelId = "symlink-" + Guid.NewGuid().ToString("N")[..8];

        var ex = await Assert.ThrowsAsync<KernelLaunchException>(() =>
            env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = "plant-symlink", KernelId = kernelId }));

        var security = Assert.IsType<SandboxSecurityException>(ex.InnerException);
        Assert.Equal(SecurityEventKinds.SocketSymlink, security.Kind);
        Assert.Contains(target, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, events[SecurityEventKinds.SocketSymlink]);
        Assert.Contains(env.Logs.WithEventId(900), e => e.Message.Contains(kernelId, StringComparison.Ordinal));
        Assert.False(listener.Poll(0, SelectMode.SelectRead), "a connection reached the symlink's target");
        Assert.DoesNotContain(await env.ContainersOfAsync(env.Shared.Owner), c => c.Labels?.GetValueOrDefault("org.notebookgateway.kernel") == kernelId);
        Assert.False(env.Shared.TryGetKernel(kernelId, out _));
        File.Delete(target);
    }

    [Fact]
    public async Task FifoPlantedInTheSocketDirectory_IsRefusedWithoutHanging()
    {
        env.WriteSpec("plant-fifo", ["/bin/sh", "-c", "for i in 1 2 3 4 5; do mkfifo /kernel/sockets/k-$i; done; exec sleep 600"]);

        var ex = await Assert.ThrowsAsync<KernelLaunchException>(() =>
            env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = "plant-fifo" })).WaitAsync(TestTimeouts.Long);

        Assert.Equal(SecurityEventKinds.SocketNotASocket, Assert.IsType<SandboxSecurityException>(ex.InnerException).Kind);
    }

    private static long ReadLong(string path) => File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), out var n) ? n : -1;
}

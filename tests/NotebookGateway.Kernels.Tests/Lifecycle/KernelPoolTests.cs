using System.Text.Json;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>
/// Warm starts from the pool, each with a manager of its own: what two users who get pooled sandboxes one after the
/// other can see of each other, the workspace and restarts of a pooled kernel, refilling, shrinking, the memory
/// budgets, a pooled sandbox that dies while it waits, and disposal. (The containment suite runs on a pooled kernel:
/// <see cref="SandboxEnvironment.SharedKernel"/>.)
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class KernelPoolTests(SandboxEnvironment env)
{
    private const string Py = SandboxEnvironment.Py;
    private static readonly TimeSpan PoolWait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TwoUsers_OneAfterTheOther_SeeNothingOfEachOther()
    {
        var manager = await PooledManagerAsync("pool-users", _ => { });
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 1, PoolWait);
        var first = await manager.StartKernelAsync(new KernelStartRequest { SpecName = Py, SessionId = "user-a" });
        await SandboxEnvironment.RunAsync(first, """
            import os, subprocess
            open('/home/sandbox/work/a-workspace.txt', 'w').write('a')
            open('/tmp/a-tmp.txt', 'w').write('a')
            open('/dev/shm/a-shm', 'w').write('a')
            os.environ['NBGW_USER_A'] = 'secret'
            subprocess.Popen(['sleep', '3017'], env=dict(os.environ))
            """);
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 1, PoolWait);

        var second = await manager.StartKernelAsync(new KernelStartRequest { SpecName = Py, SessionId = "user-b" });
        var seen = await SandboxEnvironment.RunJsonAsync(second, """
            import json, os
            def cmdlines():
                for pid in filter(str.isdigit, os.listdir('/proc')):
                    try:
                        yield open(f'/proc/{pid}/cmdline', 'rb').read().decode(errors='replace')
                    except OSError:
                        pass
            environ = [open(f'/proc/{pid}/environ', 'rb').read().decode(errors='replace') for pid in ['1', 'self']]
            print(json.dumps({'uid': os.getuid(), 'cwd': os.getcwd(), 'work': os.listdir('/home/sandbox/work'), 'tmp': os.listdir('/tmp'),
                'shm': os.listdir('/dev/shm'), 'env': any('NBGW_USER_A' in e for e in environ) or 'NBGW_USER_A' in os.environ,
                'sleeper': any('3017' in c for c in cmdlines())}))
            """);

        Assert.True(first.WarmStart && second.WarmStart);
        Assert.Equal("user-b", second.Session.Id);
        Assert.NotEqual(first.Session.Uid, seen.GetProperty("uid").GetUInt32());
        Assert.Equal(second.Session.Uid, seen.GetProperty("uid").GetUInt32());
        Assert.Equal("/home/sandbox/work", seen.GetProperty("cwd").GetString());
        Assert.Empty(Names(seen, "work"));
        Assert.DoesNotContain("a-tmp.txt", Names(seen, "tmp"));
        Assert.Empty(Names(seen, "shm"));
        Assert.False(seen.GetProperty("env").GetBoolean(), "user A's environment reached user B");
        Assert.False(seen.GetProperty("sleeper").GetBoolean(), "user A's process is visible to user B");
        Assert.NotEqual(first.Session.WorkspaceHostPath, second.Session.WorkspaceHostPath);
        Assert.NotEqual(first.ContainerId, second.ContainerId);
        Assert.NotEqual(first.Connection.Key, second.Connection.Key);

        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
    }

    [Fact]
    public async Task PooledKernel_WorkspaceIsTheSessions_RestartKeepsIt_AndAnExistingSessionStartsCold()
    {
        using var misses = new MetricRecorder("kernel_pool_misses", "reason");
        var manager = await PooledManagerAsync("pool-workspace", _ => { });
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 1, PoolWait);
        var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = Py, SessionId = "notebook" });
        await SandboxEnvironment.RunAsync(kernel, "open('kept.txt', 'w').write('kept')");
        var uid = kernel.Session.Uid;

        Assert.True(kernel.WarmStart);
        Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(kernel.Session.WorkspaceHostPath, "kept.txt")));
        Assert.Contains(manager.Sessions, s => s.Id == "notebook" && s.Uid == uid);
        Assert.DoesNotContain(manager.Sessions, s => s.Id.StartsWith(KernelPool.SessionPrefix, StringComparison.Ordinal) && s.Uid == uid);
        Assert.DoesNotContain(manager.ListKernels(), k => k.Id.StartsWith("pool-", StringComparison.Ordinal));

        await manager.RestartKernelAsync(kernel.Id);
        Assert.Equal("kept", await SandboxEnvironment.RunAsync(kernel, "print(open('/home/sandbox/work/kept.txt').read())"));
        Assert.Equal(uid, kernel.Session.Uid);

        // A second kernel of the same notebook needs that workspace: it starts cold, beside it.
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 1, PoolWait);
        var second = await manager.StartKernelAsync(new KernelStartRequest { SpecName = Py, SessionId = "notebook" });
        var withEnvironment = await manager.StartKernelAsync(new KernelStartRequest { SpecName = Py, Environment = new Dictionary<string, string> { ["NBGW_X"] = "1" } });
        Assert.False(second.WarmStart);
        Assert.Equal("kept", await SandboxEnvironment.RunAsync(second, "print(open('kept.txt').read())"));
        Assert.False(withEnvironment.WarmStart);
        Assert.Equal("1", await SandboxEnvironment.RunAsync(withEnvironment, "import os; print(os.environ['NBGW_X'])"));
        Assert.Equal(1, misses["session"]);
        Assert.Equal(1, misses["environment"]);
        Assert.Equal(1, manager.Pool.Status(Py).Ready); // both left the waiting sandbox alone
        await Assert.ThrowsAsync<ArgumentException>(() => manager.StartKernelAsync(new KernelStartRequest { SpecName = Py, SessionId = KernelPool.SessionPrefix + "x" }));

        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
    }

    [Fact]
    public async Task Pool_RefillsAfterUse_AndShrinksWhenIdle()
    {
        using var hits = new MetricRecorder("kernel_pool_hits", "kernel_name");
        var manager = await PooledManagerAsync("pool-refill", p => (p.Size, p.IdleSeconds) = (2, 20));
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 2, PoolWait);
        var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = Py });
        Assert.True(kernel.WarmStart);
        Assert.Equal(1, hits[Py]);

        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 2, PoolWait);
        Assert.Equal(3, (await env.ContainersOfAsync(manager.Owner)).Count);

        // No start for IdleSeconds: the pool goes down to IdleSize (0); the kernel that was handed out stays.
        var idle = await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 0, PoolWait);
        Assert.Equal(0, idle.Target);
        Assert.Equal(0, idle.ReservedMiB);
        var left = Assert.Single(await env.ContainersOfAsync(manager.Owner));
        Assert.Equal(kernel.ContainerId, left.Id);
        Assert.Equal("ok", await SandboxEnvironment.RunAsync(kernel, "print('ok')"));

        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
    }

    [Fact]
    public async Task Pool_NeverExceedsItsMemoryBudgets()
    {
        const int Memory = SandboxEnvironment.PyMemoryMiB;
        var bySpec = await PooledManagerAsync("pool-budget", p => (p.Size, p.MemoryBudgetMiB) = (3, (2 * Memory) + 10));
        var global = await PooledManagerAsync("pool-global", p => p.Size = 3, o => o.Pool.MemoryBudgetMiB = Memory + 10);

        var specLimited = await PoolEvents.WaitForAsync(bySpec.Pool, Py, s => s.LimitedByBudget && s.Ready == 2, PoolWait);
        var globalLimited = await PoolEvents.WaitForAsync(global.Pool, Py, s => s.LimitedByBudget && s.Ready == 1, PoolWait);

        Assert.Equal(2 * Memory, specLimited.ReservedMiB);
        Assert.Equal(3, specLimited.Target);
        Assert.Equal(2, (await env.ContainersOfAsync(bySpec.Owner)).Count);
        Assert.Equal(Memory, globalLimited.ReservedMiB);
        Assert.Single(await env.ContainersOfAsync(global.Owner));

        await bySpec.DisposeAsync();
        await global.DisposeAsync();
        await env.AssertNothingLeftAsync(bySpec.Owner);
        await env.AssertNothingLeftAsync(global.Owner);
    }

    [Fact]
    public async Task PooledSandbox_KilledWhileWaiting_IsReplacedAndNeverHandedOut()
    {
        var manager = await PooledManagerAsync("pool-killed", _ => { });
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 1, PoolWait);
        var waiting = Assert.Single(await env.ContainersOfAsync(manager.Owner));
        Assert.StartsWith("pool-", waiting.Labels![SandboxLabels.Kernel], StringComparison.Ordinal);

        await env.Docker.Containers.KillAsync(waiting.Id, "SIGKILL");
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 0, PoolWait);
        await PoolEvents.WaitForAsync(manager.Pool, Py, s => s.Ready == 1, PoolWait);
        var kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = Py });

        Assert.True(kernel.WarmStart);
        Assert.NotEqual(waiting.Id, kernel.ContainerId);
        Assert.Equal("ok", await SandboxEnvironment.RunAsync(kernel, "print('ok')"));
        Assert.DoesNotContain(await env.ContainersOfAsync(manager.Owner), c => c.Id == waiting.Id);

        await manager.DisposeAsync();
        await env.AssertNothingLeftAsync(manager.Owner);
    }

    private static IEnumerable<string> Names(JsonElement result, string property) =>
        result.GetProperty(property).EnumerateArray().Select(e => e.GetString()!);

    private Task<SandboxKernelManager> PooledManagerAsync(string suffix, Action<SpecPoolOptions> pool, Action<SandboxOptions>? configure = null) =>
        env.CreateManagerAsync(suffix, o =>
        {
            var settings = new SpecPoolOptions { Size = 1 };
            pool(settings);
            o.Pool.Specs[Py] = settings;
            o.Pool.RefillIntervalMilliseconds = 50;
            configure?.Invoke(o);
        });
}

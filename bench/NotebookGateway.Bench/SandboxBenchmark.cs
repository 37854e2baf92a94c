using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotebookGateway.Docker;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Testing;
using NotebookGateway.Zmq;

namespace NotebookGateway.Bench;

/// <summary>
/// Issue 3's numbers: cold start of a sandboxed kernel (request until kernel_info_reply) beside a local
/// unsandboxed ipykernel started the same way, and memory per idle kernel in its container and in the gateway.
/// </summary>
internal static class SandboxBenchmark
{
    public static async Task RunAsync(string repositoryRoot, int starts, int idleKernels, bool podman)
    {
        await using var zmq = new ZmqContext();
        using var docker = new DockerClient(new DockerClientOptions { SocketPath = podman ? TestEngine.PodmanSocket : DockerClientOptions.DefaultSocketPath });
        Console.WriteLine($"engine: {(podman ? "Podman" : "Docker")}");
        IOptions<SandboxOptions> options = Options.Create(new SandboxOptions
        {
            Owner = "nbgw-bench",
            Engine = podman ? EngineKind.Podman : EngineKind.Docker,
            KernelSpecDirectories = [Path.Combine(repositoryRoot, "kernelspecs")],
            SeccompProfile = Path.Combine(repositoryRoot, "seccomp", "notebook.json"),
            SocketRoot = "/run/notebookgateway/bench-sockets",
            WorkspaceRoot = "/var/lib/notebookgateway/bench-workspaces",
            UidRange = new UidRangeOptions { First = 500_000, Count = 1000 },
        });
        using var catalog = new KernelSpecCatalog(docker, options, NullLogger<KernelSpecCatalog>.Instance);
        await using var manager = SandboxKernelManagerFactory.Create(docker, zmq, catalog, options, NullLoggerFactory.Instance);
        await manager.InitializeAsync();

        // Warm-up: the first start also runs the self-test.
        SandboxKernel warm = await manager.StartKernelAsync(new KernelStartRequest { SpecName = "python3" });
        await manager.ShutdownKernelAsync(warm.Id);

        var sandboxed = new double[starts];
        for (int i = 0; i < starts; i++)
        {
            long start = Stopwatch.GetTimestamp();
            SandboxKernel kernel = await manager.StartKernelAsync(new KernelStartRequest { SpecName = "python3" });
            sandboxed[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            await manager.ShutdownKernelAsync(kernel.Id);
        }
        var local = new double[starts];
        for (int i = 0; i < starts; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await using LocalIpyKernel kernel = await LocalIpyKernel.StartAsync("ipc");
            await using KernelClient client = await KernelClient.ConnectAsync(kernel.Connection, zmq.Reactor);
            await client.WaitForReadyAsync(TimeSpan.FromSeconds(60));
            local[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Console.WriteLine($"kernel cold start (request until kernel_info_reply), {starts} starts each:");
        Console.WriteLine($"  sandboxed (container, seccomp, no network)  p50 {Stats.Percentile(sandboxed, 50):0} ms  p90 {Stats.Percentile(sandboxed, 90):0} ms");
        Console.WriteLine($"  local unsandboxed ipykernel                 p50 {Stats.Percentile(local, 50):0} ms  p90 {Stats.Percentile(local, 90):0} ms");
        Console.WriteLine($"  ratio at p50: {Stats.Percentile(sandboxed, 50) / Stats.Percentile(local, 50):0.00}x");

        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetBefore = Process.GetCurrentProcess().WorkingSet64;
        var idle = new List<SandboxKernel>();
        for (int i = 0; i < idleKernels; i++)
        {
            idle.Add(await manager.StartKernelAsync(new KernelStartRequest { SpecName = "python3" }));
        }
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        Process.GetCurrentProcess().Refresh();
        long workingSetAfter = Process.GetCurrentProcess().WorkingSet64;
        var cgroup = idle.Select(k => ReadCgroupMemory(k.ContainerId!)).Where(b => b > 0).ToArray();
        Console.WriteLine($"memory with {idleKernels} idle sandboxed kernels:");
        Console.WriteLine($"  per container (cgroup memory.usage_in_bytes)  mean {cgroup.Average() / (1 << 20):0.0} MiB");
        Console.WriteLine($"  per kernel in the gateway process: managed heap {(managedAfter - managedBefore) / idleKernels / 1024.0:0} KiB, working set {(workingSetAfter - workingSetBefore) / idleKernels / 1024.0:0} KiB");
        foreach (SandboxKernel kernel in idle)
        {
            await manager.ShutdownKernelAsync(kernel.Id);
        }
    }

    /// <summary>The container's charged memory, read as the gateway reads it (Docker's or Podman's cgroup layout).</summary>
    private static long ReadCgroupMemory(string containerId) => new NotebookGateway.Kernels.Sandbox.ContainerCgroup().MemoryBytes(containerId) ?? 0;
}

internal static class Stats
{
    public static double Percentile(double[] samples, double percentile)
    {
        double[] sorted = [.. samples.Order()];
        int index = (int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}

using System.Diagnostics;
using System.Globalization;
using NotebookGateway.Jupyter.Client;
using NotebookGateway.Kernels.Lifecycle;
using Xunit.Abstractions;

namespace NotebookGateway.Kernels.Tests.Lifecycle;

/// <summary>
/// Numbers for the report (printed, and written to measurements.txt beside the test assembly): cold start of a
/// sandboxed kernel beside an unsandboxed local ipykernel, and an idle kernel's container memory. Bounds are loose.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class MeasurementTests(SandboxEnvironment env, ITestOutputHelper output)
{
    [Fact]
    public async Task Measure_ColdStartAndIdleMemory_AreWithinTheEnvelope()
    {
        var sandboxed = new List<double>();
        var total = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            var kernel = await env.Shared.StartKernelAsync(new KernelStartRequest { SpecName = SandboxEnvironment.Py });
            total.Add(stopwatch.Elapsed.TotalMilliseconds);
            sandboxed.Add(kernel.LastStartDuration!.Value.TotalMilliseconds);
            await env.Shared.ShutdownKernelAsync(kernel.Id);
        }

        var local = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await using var ipykernel = await LocalIpyKernel.StartAsync("ipc");
            await using var client = await KernelClient.ConnectAsync(ipykernel.Connection, env.Zmq.Reactor);
            await client.WaitForReadyAsync(TestTimeouts.Long);
            local.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        // The witness kernel has been idle between tests; its container's cgroup tells what it costs.
        var memoryDir = TestEngine.CgroupDirectory("memory", env.OtherKernel.ContainerId!);
        await SandboxEnvironment.RunAsync(env.OtherKernel, "import gc; gc.collect()");
        var usage = long.Parse(File.ReadAllText(Path.Combine(memoryDir, "memory.usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);
        var stat = File.ReadLines(Path.Combine(memoryDir, "memory.stat")).Select(l => l.Split(' ')).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));

        var report = string.Join('\n',
            $"sandboxed cold start (container create -> kernel_info_reply), ms: {Describe(sandboxed)}",
            $"sandboxed StartKernelAsync incl. session uid + ext4 workspace, ms: {Describe(total)}",
            $"local unsandboxed ipykernel (process start -> ready), ms: {Describe(local)}",
            $"ratio p50 sandboxed/local: {Median(sandboxed) / Median(local):0.00}",
            $"idle kernel container memory: usage {usage / 1048576.0:0.0} MiB, rss {stat["total_rss"] / 1048576.0:0.0} MiB, cache {stat["total_cache"] / 1048576.0:0.0} MiB");
        output.WriteLine(report);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "measurements.txt"), report + "\n");

        Assert.True(Median(sandboxed) < 30_000, report);
        Assert.True(usage < SandboxEnvironment.PyMemoryMiB * 1048576L, report);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Describe(List<double> values) =>
        $"p50 {Median(values):0} (min {values.Min():0}, max {values.Max():0}, n {values.Count})";
}

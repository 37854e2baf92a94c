using System.Diagnostics;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Tests.Sandbox;

/// <summary>
/// The notifier on the host's real cgroup v1 memory controller, without an engine: a cgroup of the test's own with a
/// 32 MiB limit, a process in it that asks for 200 MiB, and the cgroup removed afterwards.
/// </summary>
public sealed class MemoryOomNotifierTests
{
    private const string MemoryRoot = "/sys/fs/cgroup/memory";

    [Fact]
    public async Task ProcessOverItsCgroupLimit_IsReported_AndTheRemovedCgroupEndsTheRegistration()
    {
        Assert.True(File.Exists(Path.Combine(MemoryRoot, "cgroup.event_control")),
            "this host has no cgroup v1 memory controller at " + MemoryRoot + " (the notifier is for v1 hosts)");
        var cgroup = Path.Combine(MemoryRoot, "nbgw-oomtest-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(cgroup);
        try
        {
            var limit = (32 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(Path.Combine(cgroup, "memory.limit_in_bytes"), limit);
            if (File.Exists(Path.Combine(cgroup, "memory.memsw.limit_in_bytes")))
            {
                await File.WriteAllTextAsync(Path.Combine(cgroup, "memory.memsw.limit_in_bytes"), limit); // no swap either
            }

            using var notifier = new MemoryOomNotifier();
            var oom = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            Assert.True(notifier.Watch(cgroup, () => oom.TrySetResult()));
            Assert.False(notifier.Watch(Path.Combine(MemoryRoot, "nbgw-no-such-cgroup"), () => { }));

            // The shell moves itself into the cgroup, then becomes a Python that needs far more than the limit.
            using var process = Process.Start(new ProcessStartInfo("sh",
                ["-c", $"echo $$ > {cgroup}/cgroup.procs && exec /usr/bin/python3 -c 'b = bytearray(200 << 20); print(len(b))'"])
            {
                RedirectStandardOutput = true,
            })!;
            await process.WaitForExitAsync().WaitAsync(TestTimeouts.Long);
            await oom.Task.WaitAsync(TestTimeouts.Step);

            Assert.Equal(137, process.ExitCode);
            Assert.Equal("", await process.StandardOutput.ReadToEndAsync());
            Assert.Equal(1, notifier.Count);
            Directory.Delete(cgroup);
            Assert.True(await KernelEvents.EventuallyAsync(() => notifier.Count == 0, TestTimeouts.Step), "the removed cgroup's registration did not end");
        }
        finally
        {
            if (Directory.Exists(cgroup))
            {
                Directory.Delete(cgroup);
            }
        }
    }
}

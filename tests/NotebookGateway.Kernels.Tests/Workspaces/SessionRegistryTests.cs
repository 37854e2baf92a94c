using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Kernels.Workspaces;

namespace NotebookGateway.Kernels.Tests.Workspaces;

public sealed class SessionRegistryTests : IDisposable
{
    private static readonly SandboxEnvelope Envelope = new EnvelopeOptions { WorkspaceMiB = 16 }.ToEnvelope();
    private readonly TempDirectory _root = new("sessions");
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _root.Dispose();

    private SessionRegistry Create(int retentionMinutes, IWorkspaceBackend? backend = null) => new(
        new SandboxOptions { WorkspaceRetentionMinutes = retentionMinutes },
        _root.Path,
        new UidAllocator(new UidRangeOptions { First = 410_000, Count = 10 }, []),
        backend ?? new DirectoryWorkspaceBackend(),
        _time,
        NullLogger.Instance);

    [Fact]
    public async Task Acquire_TwoSessions_GetTheirOwnUidAndWorkspace()
    {
        await using var registry = Create(0);

        var a = await registry.AcquireAsync("a", false, Envelope, CancellationToken.None);
        var b = await registry.AcquireAsync("b", false, Envelope, CancellationToken.None);
        var again = await registry.AcquireAsync("a", false, Envelope, CancellationToken.None);

        Assert.Same(a, again);
        Assert.NotEqual(a.Uid, b.Uid);
        Assert.NotEqual(a.WorkspaceHostPath, b.WorkspaceHostPath);
        Assert.Equal(a.Uid, NoFollow.TryStat(a.WorkspaceHostPath)!.Value.Uid);
        Assert.Equal(0b111_000_000u, NoFollow.TryStat(a.WorkspaceHostPath)!.Value.Permissions);
    }

    [Fact]
    public async Task End_WithRetention_KeepsTheWorkspaceUntilItExpiresUnlessResumed()
    {
        await using var registry = Create(10);
        var session = await registry.AcquireAsync("s", false, Envelope, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(session.WorkspaceHostPath, "notes.txt"), "x");

        await registry.EndAsync("s");
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(File.Exists(Path.Combine(session.WorkspaceHostPath, "notes.txt")));

        var resumed = await registry.AcquireAsync("s", false, Envelope, CancellationToken.None);
        Assert.Same(session, resumed);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(File.Exists(Path.Combine(session.WorkspaceHostPath, "notes.txt")), "a resumed session keeps its workspace");

        await registry.EndAsync("s");
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.True(await KernelEvents.EventuallyAsync(() => !Directory.Exists(session.WorkspaceHostPath), TestTimeouts.Short));
        Assert.Null(registry.Find("s"));
    }

    [Fact]
    public async Task End_WithoutRetention_RemovesAtOnceAndFreesTheUid()
    {
        await using var registry = Create(0);
        var session = await registry.AcquireAsync("s", false, Envelope, CancellationToken.None);

        await registry.EndAsync("s");

        Assert.False(Directory.Exists(session.WorkspaceHostPath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.Path));
    }

    [Fact]
    public async Task LoopImage_Workspace_IsASizedExt4OwnedByTheSessionUid()
    {
        await using var registry = Create(0, new LoopImageWorkspaceBackend());
        var session = await registry.AcquireAsync("s", false, Envelope, CancellationToken.None);
        try
        {
            Assert.True(HostMounts.IsMountPoint(session.WorkspaceHostPath));
            var line = File.ReadLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == session.WorkspaceHostPath);
            Assert.Contains(" - ext4 /dev/loop", line, StringComparison.Ordinal);
            Assert.Contains("nosuid", line, StringComparison.Ordinal);
            Assert.Contains("nodev", line, StringComparison.Ordinal);
            Assert.Equal(session.Uid, NoFollow.TryStat(session.WorkspaceHostPath)!.Value.Uid);
            Assert.Empty(Directory.EnumerateFileSystemEntries(session.WorkspaceHostPath));
            Assert.Equal(16L * 1024 * 1024, session.WorkspaceBytes);
        }
        finally
        {
            await registry.EndAsync("s");
        }

        Assert.False(HostMounts.IsMountPoint(session.WorkspaceHostPath));
        // Only the empty file system the workspace was copied from is kept (the manager's root sweep removes it).
        Assert.Equal([".template-16777216.ext4"], Directory.EnumerateFileSystemEntries(_root.Path).Select(Path.GetFileName));
        Assert.Empty(registry.Sweep());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root.Path));
    }

    [Fact]
    public async Task LoopImage_TwoSessionsFromOneTemplate_EachGetAnEmptyFileSystemOfTheirOwn()
    {
        await using var registry = Create(0, new LoopImageWorkspaceBackend());
        var a = await registry.AcquireAsync("a", false, Envelope, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(a.WorkspaceHostPath, "only-in-a.txt"), "a");
        var b = await registry.AcquireAsync("b", false, Envelope, CancellationToken.None);
        try
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(b.WorkspaceHostPath));
            Assert.Equal(b.Uid, NoFollow.TryStat(b.WorkspaceHostPath)!.Value.Uid);
            Assert.Equal(b.Uid, NoFollow.TryStat(b.WorkspaceHostPath)!.Value.Gid);
            Assert.Equal(0b111_000_000u, NoFollow.TryStat(b.WorkspaceHostPath)!.Value.Permissions);
            Assert.NotEqual(NoFollow.TryStat(a.WorkspaceHostPath)!.Value.Device, NoFollow.TryStat(b.WorkspaceHostPath)!.Value.Device);
            // Sparse: the image holds what mkfs wrote (a few hundred KiB), not its 16 MiB.
            var image = Path.Combine(Path.GetDirectoryName(b.WorkspaceHostPath)!, LoopImageWorkspaceBackend.ImageName);
            Assert.Equal(16L * 1024 * 1024, new FileInfo(image).Length);
            Assert.True(AllocatedBytes(image) < 4L * 1024 * 1024, $"{AllocatedBytes(image)} bytes allocated");
        }
        finally
        {
            await registry.EndAsync("a");
            await registry.EndAsync("b");
        }
    }

    private static long AllocatedBytes(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var fields = stat.StandardOutput.ReadToEnd().Split(' ');
        stat.WaitForExit();
        return long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}

using System.Globalization;
using NotebookGateway.Kernels.Interop;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Workspaces;

/// <summary>
/// A sparse ext4 image per session (<c>workspace.ext4</c>, a copy of an empty template of its size), loop-mounted
/// nosuid,nodev at <c>mnt/</c>. The image size
/// is a hard cap for bytes and inodes (the sandbox sees ENOSPC); host disk is used only as files are written. The
/// file system root belongs to the session uid. Needs root, <c>mkfs.ext4</c>, <c>mount</c> and loop devices.
/// </summary>
public sealed class LoopImageWorkspaceBackend : IWorkspaceBackend, IDisposable
{
    public const string ImageName = "workspace.ext4";
    public const string MountDirectoryName = "mnt";

    /// <summary>Names of the empty file systems kept beside the sessions (one per size), removed by the root sweep.</summary>
    public const string TemplatePrefix = ".template-";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _templates = new(1, 1);

    public bool EnforcesSize => true;

    public async Task<string> CreateAsync(string directory, uint uid, uint gid, long sizeBytes, CancellationToken cancellationToken)
    {
        var image = Path.Combine(directory, ImageName);
        var mountPoint = Path.Combine(directory, MountDirectoryName);
        var template = await TemplateAsync(Path.GetDirectoryName(directory)!, sizeBytes, cancellationToken).ConfigureAwait(false);
        using (var source = File.OpenHandle(template, FileMode.Open, FileAccess.Read))
        using (var copy = new FileStream(image, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            SparseFile.Copy(source, copy.SafeFileHandle);
        }

        NoFollow.CreateDirectory(mountPoint, 0b111_000_000, 0, 0);
        await HostCommand.RunAsync("mount", ["-t", "ext4", "-o", "loop,nosuid,nodev,noatime", image, mountPoint], ToolTimeout, cancellationToken).ConfigureAwait(false);
        using (var root = NoFollow.OpenDirectory(mountPoint))
        {
            // A fresh file system: nothing of the sandbox's is in it yet. lost+found would only confuse users.
            _ = LibC.UnlinkAt(root.Value, "lost+found", LibC.AT_REMOVEDIR);
            if (LibC.FChown(root.Value, uid, gid) != 0 || LibC.FChmod(root.Value, 0b111_000_000) != 0)
            {
                throw new IOException($"The workspace root {mountPoint} could not be given to uid {uid}: {LibC.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
            }
        }

        return mountPoint;
    }

    /// <summary>
    /// An empty file system of <paramref name="sizeBytes"/> under <paramref name="root"/>, made once per size and copied
    /// by its data extents for each workspace: mkfs.ext4 takes about 100 ms of every cold start that makes a session,
    /// the copy under 1 ms. The root sweep removes templates with everything else.
    /// </summary>
    private async Task<string> TemplateAsync(string root, long sizeBytes, CancellationToken cancellationToken)
    {
        var template = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"{TemplatePrefix}{sizeBytes}.ext4"));
        if (File.Exists(template))
        {
            return template;
        }

        await _templates.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (File.Exists(template))
            {
                return template;
            }

            var partial = template + ".partial";
            File.Delete(partial);
            using (var file = new FileStream(partial, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.SetLength(sizeBytes);
            }

            // No journal: a workspace never outlives its gateway process, and the journal would take 8 MiB of the cap.
            await HostCommand.RunAsync("mkfs.ext4", ["-q", "-F", "-m", "0", "-L", "workspace", "-O", "^has_journal", partial], ToolTimeout, cancellationToken).ConfigureAwait(false);
            File.Move(partial, template);
            return template;
        }
        finally
        {
            _templates.Release();
        }
    }

    public string? FindExisting(string directory, uint uid)
    {
        var mountPoint = Path.Combine(directory, MountDirectoryName);
        return HostMounts.IsMountPoint(mountPoint) ? OwnedDirectory(mountPoint, uid) : null;
    }

    /// <summary><paramref name="path"/> when it is a real directory owned by <paramref name="uid"/>, else null.</summary>
    internal static string? OwnedDirectory(string path, uint uid) =>
        NoFollow.TryStat(path) is { IsDirectory: true } status && status.Uid == uid ? path : null;

    public void Dispose() => _templates.Dispose();

    public Task<IReadOnlyList<string>> RemoveAsync(string directory, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var mountPoint = Path.Combine(directory, MountDirectoryName);
        if (HostMounts.TryUnmount(mountPoint) is { } error)
        {
            // Still referenced (a container being torn down): detach now, the loop device frees itself with the last user.
            if (HostMounts.TryUnmount(mountPoint, detach: true) is { } detachError)
            {
                failures.Add($"umount {mountPoint}: {error}; detach: {detachError}");
            }
        }

        failures.AddRange(NoFollow.DeleteTree(directory));
        return Task.FromResult<IReadOnlyList<string>>(failures);
    }
}

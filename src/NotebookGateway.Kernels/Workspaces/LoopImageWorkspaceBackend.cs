using System.Globalization;
using NotebookGateway.Kernels.Interop;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Workspaces;

/// <summary>
/// A sparse ext4 image per session (<c>workspace.ext4</c>), loop-mounted nosuid,nodev at <c>mnt/</c>. The image size
/// is a hard cap for bytes and inodes (the sandbox sees ENOSPC); host disk is used only as files are written. The
/// file system root belongs to the session uid. Needs root, <c>mkfs.ext4</c>, <c>mount</c> and loop devices.
/// </summary>
public sealed class LoopImageWorkspaceBackend : IWorkspaceBackend
{
    public const string ImageName = "workspace.ext4";
    public const string MountDirectoryName = "mnt";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    public bool EnforcesSize => true;

    public async Task<string> CreateAsync(string directory, uint uid, uint gid, long sizeBytes, CancellationToken cancellationToken)
    {
        var image = Path.Combine(directory, ImageName);
        var mountPoint = Path.Combine(directory, MountDirectoryName);
        using (var file = new FileStream(image, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.SetLength(sizeBytes);
        }

        // No journal: a workspace never outlives its gateway process, and the journal would take 8 MiB of the cap.
        await HostCommand.RunAsync("mkfs.ext4",
            ["-q", "-F", "-m", "0", "-L", "workspace", "-O", "^has_journal",
             "-E", string.Create(CultureInfo.InvariantCulture, $"root_owner={uid}:{gid}"), image],
            ToolTimeout, cancellationToken).ConfigureAwait(false);
        NoFollow.CreateDirectory(mountPoint, 0b111_000_000, 0, 0);
        await HostCommand.RunAsync("mount", ["-t", "ext4", "-o", "loop,nosuid,nodev,noatime", image, mountPoint], ToolTimeout, cancellationToken).ConfigureAwait(false);
        using (var root = NoFollow.OpenDirectory(mountPoint))
        {
            // A fresh file system: nothing of the sandbox's is in it yet. lost+found would only confuse users.
            _ = LibC.UnlinkAt(root.Value, "lost+found", LibC.AT_REMOVEDIR);
            _ = LibC.FChmod(root.Value, 0b111_000_000);
        }

        return mountPoint;
    }

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

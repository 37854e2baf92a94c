using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NotebookGateway.Kernels.Interop;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>mount(2)/umount2(2) and the mount table, for the gateway's socket tmpfs and workspace mounts.</summary>
public static class HostMounts
{
    /// <summary>Mounts a tmpfs; returns null on success or the error (e.g. EPERM when not root).</summary>
    public static string? TryMountTmpfs(string target, string options, bool noExec = true)
    {
        ulong flags = LibC.MS_NOSUID | LibC.MS_NODEV | (noExec ? LibC.MS_NOEXEC : 0);
        return LibC.Mount("tmpfs", target, "tmpfs", flags, options) == 0 ? null : LibC.Describe(Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// Unmounts without following a link at <paramref name="target"/> (UMOUNT_NOFOLLOW); with <paramref name="detach"/>
    /// a busy mount is detached lazily. Returns null on success or when nothing was mounted there, else the error.
    /// </summary>
    public static string? TryUnmount(string target, bool detach = false)
    {
        int flags = LibC.UMOUNT_NOFOLLOW | (detach ? LibC.MNT_DETACH : 0);
        if (LibC.Umount2(target, flags) == 0)
        {
            return null;
        }

        int errno = Marshal.GetLastPInvokeError();
        // EINVAL: not a mount point; ENOENT: gone.
        return errno is LibC.EINVAL or LibC.ENOENT ? null : LibC.Describe(errno);
    }

    /// <summary>Mount points at or below <paramref name="prefix"/>, deepest first (the order to unmount them in).</summary>
    public static IReadOnlyList<string> MountPointsUnder(string prefix)
    {
        var root = prefix.TrimEnd('/');
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }

            var mountPoint = Unescape(fields[4]);
            if (mountPoint == root || mountPoint.StartsWith(root + "/", StringComparison.Ordinal))
            {
                result.Add(mountPoint);
            }
        }

        return result.Distinct(StringComparer.Ordinal).OrderByDescending(p => p.Length).ToList();
    }

    /// <summary>
    /// Empties <paramref name="root"/> (a root-only directory of the gateway) except the entries named in
    /// <paramref name="keep"/>: mounts below the rest are detached first, then everything is deleted without following
    /// links. Returns what could not be removed.
    /// </summary>
    public static IReadOnlyList<string> SweepExcept(string root, IReadOnlySet<string> keep)
    {
        var failures = new List<string>();
        if (NoFollow.TryStat(root) is not { IsDirectory: true })
        {
            return failures;
        }

        var trimmed = root.TrimEnd('/');
        foreach (var mountPoint in MountPointsUnder(root))
        {
            var top = mountPoint == trimmed ? null : mountPoint[(trimmed.Length + 1)..].Split('/')[0];
            if (top is not null && !keep.Contains(top) && TryUnmount(mountPoint, detach: true) is { } error)
            {
                failures.Add($"umount {mountPoint}: {error}");
            }
        }

        using var directory = NoFollow.OpenDirectory(root);
        if (keep.Count == 0)
        {
            failures.AddRange(NoFollow.DeleteContents(directory));
            return failures;
        }

        foreach (var name in NoFollow.ReadNames(directory).Where(n => !keep.Contains(n)))
        {
            failures.AddRange(NoFollow.DeleteTree(Path.Combine(trimmed, name)));
        }

        return failures;
    }

    public static bool IsMountPoint(string path) => MountPointsUnder(path).Contains(path.TrimEnd('/'), StringComparer.Ordinal);

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && int.TryParse(field.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }
}

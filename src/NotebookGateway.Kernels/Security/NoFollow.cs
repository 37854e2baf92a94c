using System.Runtime.InteropServices;
using System.Text;
using NotebookGateway.Kernels.Interop;

namespace NotebookGateway.Kernels.Security;

/// <summary>
/// File operations on directories a sandbox can write to. Nothing here follows a symbolic link in the last path
/// component, and trees are walked by descriptor (openat/unlinkat), never by re-resolving a path, so a name swapped
/// for a link between two steps cannot redirect the gateway (the Judge0 CVE-2024-28185/28189 class).
/// </summary>
public static unsafe class NoFollow
{
    /// <summary>Opens a directory for reading; refuses a symlink in its place (ELOOP).</summary>
    public static FileDescriptor OpenDirectory(string path) =>
        Check(LibC.Open(path, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0), "open directory", path);

    /// <summary>Opens a directory entry relative to <paramref name="directory"/>, for reading, without following a link.</summary>
    public static FileDescriptor OpenDirectoryAt(FileDescriptor directory, string name) =>
        Check(LibC.OpenAt(directory.Value, CheckName(name), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0), "open directory", name);

    /// <summary>
    /// An O_PATH descriptor of the entry itself (a symlink yields the link, not its target). Never opens
    /// the object for I/O, so a FIFO or device cannot block or act. Null when the entry does not exist.
    /// </summary>
    public static FileDescriptor? TryOpenPathAt(FileDescriptor directory, string name)
    {
        int fd = LibC.OpenAt(directory.Value, CheckName(name), LibC.O_PATH | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ENOENT)
            {
                return null;
            }

            throw new IOException($"open {name} (O_PATH|O_NOFOLLOW) failed: {LibC.Describe(errno)}");
        }

        return new FileDescriptor(fd);
    }

    /// <summary>statx of the inode behind a descriptor (O_PATH descriptors included).</summary>
    public static FileStatus Stat(FileDescriptor descriptor)
    {
        LibC.StatX stat;
        if (LibC.Statx(descriptor.Value, "", LibC.AT_EMPTY_PATH | LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, &stat) != 0)
        {
            throw new IOException($"statx of descriptor {descriptor.Value} failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }

        return ToStatus(stat);
    }

    /// <summary>statx of an entry without following it; null when absent.</summary>
    public static FileStatus? TryStatAt(FileDescriptor directory, string name)
    {
        LibC.StatX stat;
        if (LibC.Statx(directory.Value, CheckName(name), LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, &stat) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == LibC.ENOENT ? null : throw new IOException($"statx {name} failed: {LibC.Describe(errno)}");
        }

        return ToStatus(stat);
    }

    /// <summary>statx of a path without following its last component; null when absent.</summary>
    public static FileStatus? TryStat(string path)
    {
        LibC.StatX stat;
        if (LibC.Statx(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, &stat) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == LibC.ENOENT ? null : throw new IOException($"statx {path} failed: {LibC.Describe(errno)}");
        }

        return ToStatus(stat);
    }

    /// <summary>The text of a symbolic link (never followed), for logs; null if it is not a link or cannot be read.</summary>
    public static string? TryReadLinkAt(FileDescriptor directory, string name)
    {
        var buffer = new byte[4096];
        fixed (byte* data = buffer)
        {
            nint n = LibC.ReadLinkAt(directory.Value, CheckName(name), data, (nuint)buffer.Length);
            return n < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    /// <summary>The names in a directory (without . and ..), read through its descriptor.</summary>
    public static List<string> ReadNames(FileDescriptor directory, int limit = 100_000)
    {
        int copy = LibC.Dup(directory.Value);
        if (copy < 0)
        {
            throw new IOException($"dup failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }

        nint dir = LibC.FdOpenDir(copy);
        if (dir == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = LibC.Close(copy);
            throw new IOException($"fdopendir failed: {LibC.Describe(errno)}");
        }

        var names = new List<string>();
        try
        {
            while (names.Count < limit)
            {
                Marshal.SetLastPInvokeError(0);
                LibC.Dirent64* entry = LibC.ReadDir64(dir);
                if (entry == null)
                {
                    break;
                }

                var name = Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry->Name));
                if (name is not ("." or ".."))
                {
                    names.Add(name);
                }
            }
        }
        finally
        {
            _ = LibC.CloseDir(dir);
        }

        return names;
    }

    /// <summary>
    /// Deletes everything inside <paramref name="directory"/> by descriptor: links, sockets and FIFOs are unlinked
    /// (their targets are never touched), sub-directories are emptied the same way. Does not cross into another
    /// file system (a mount point is left alone and reported). Returns the entries it could not remove.
    /// </summary>
    public static List<string> DeleteContents(FileDescriptor directory, int maxDepth = 16)
    {
        var failures = new List<string>();
        ulong device = Stat(directory).Device;
        DeleteContents(directory, device, maxDepth, "", failures);
        return failures;
    }

    /// <summary>
    /// Removes a directory tree rooted at <paramref name="path"/> without following links. The root itself must be a
    /// real directory (a symlink there is unlinked, not followed). Returns what could not be removed (empty = gone).
    /// </summary>
    public static List<string> DeleteTree(string path)
    {
        var status = TryStat(path);
        if (status is null)
        {
            return [];
        }

        if (!status.Value.IsDirectory)
        {
            return Unlink(path) ? [] : [path];
        }

        List<string> failures;
        using (var directory = OpenDirectory(path))
        {
            failures = DeleteContents(directory);
        }

        if (LibC.UnlinkAt(LibC.AT_FDCWD, path, LibC.AT_REMOVEDIR) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.ENOENT)
            {
                failures.Add($"{path}: {LibC.Describe(errno)}");
            }
        }

        return failures;
    }

    /// <summary>Unlinks a non-directory entry at a path (never follows it). False if it failed for a reason other than absence.</summary>
    public static bool Unlink(string path) =>
        LibC.UnlinkAt(LibC.AT_FDCWD, path, 0) == 0 || Marshal.GetLastPInvokeError() == LibC.ENOENT;

    /// <summary>Creates a directory with exactly <paramref name="mode"/>, owned by uid:gid (fchown through a no-follow descriptor).</summary>
    public static void CreateDirectory(string path, uint mode, uint uid, uint gid)
    {
        if (LibC.MkdirAt(LibC.AT_FDCWD, path, mode) != 0)
        {
            throw new IOException($"mkdir {path} failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }

        using var directory = OpenDirectory(path);
        if (LibC.FChown(directory.Value, uid, gid) != 0 || LibC.FChmod(directory.Value, mode) != 0)
        {
            throw new IOException($"chown/chmod {path} failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>
    /// Writes a new file (O_CREAT|O_EXCL|O_NOFOLLOW: an existing name or a planted link fails), then sets owner and mode
    /// through the open descriptor; with <paramref name="sync"/> the data is on disk before it returns (write errors such as
    /// ENOSPC surface here, not later).
    /// </summary>
    public static void WriteNewFile(string path, ReadOnlySpan<byte> content, uint mode, uint uid, uint gid, bool sync = false)
    {
        int fd = LibC.Open(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0b110_000_000);
        if (fd < 0)
        {
            throw new IOException($"create {path} failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }

        using var file = new FileDescriptor(fd);
        fixed (byte* data = content)
        {
            nuint written = 0;
            while (written < (nuint)content.Length)
            {
                nint n = LibC.Write(fd, data + written, (nuint)content.Length - written);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"write {path} failed: {LibC.Describe(errno)}");
                }

                written += (nuint)n;
            }
        }

        if (LibC.FChown(fd, uid, gid) != 0 || LibC.FChmod(fd, mode) != 0)
        {
            throw new IOException($"chown/chmod {path} failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }

        if (sync && LibC.FSync(fd) != 0)
        {
            throw new IOException($"fsync {path} failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }
    }

    private static void DeleteContents(FileDescriptor directory, ulong device, int depthLeft, string prefix, List<string> failures)
    {
        foreach (var name in ReadNames(directory))
        {
            var status = TryStatAt(directory, name);
            if (status is null)
            {
                continue;
            }

            if (status.Value.IsDirectory)
            {
                if (status.Value.Device != device)
                {
                    failures.Add($"{prefix}{name}: a mount point; not descended");
                    continue;
                }

                if (depthLeft <= 0)
                {
                    failures.Add($"{prefix}{name}: nested too deep");
                    continue;
                }

                try
                {
                    using var child = OpenDirectoryAt(directory, name);
                    DeleteContents(child, device, depthLeft - 1, $"{prefix}{name}/", failures);
                }
                catch (IOException ex)
                {
                    failures.Add($"{prefix}{name}: {ex.Message}");
                    continue;
                }

                if (LibC.UnlinkAt(directory.Value, name, LibC.AT_REMOVEDIR) != 0 && Marshal.GetLastPInvokeError() is var e && e != LibC.ENOENT)
                {
                    failures.Add($"{prefix}{name}: {LibC.Describe(e)}");
                }
            }
            else if (LibC.UnlinkAt(directory.Value, name, 0) != 0 && Marshal.GetLastPInvokeError() is var e && e != LibC.ENOENT)
            {
                failures.Add($"{prefix}{name}: {LibC.Describe(e)}");
            }
        }
    }

    private static FileStatus ToStatus(in LibC.StatX stat) =>
        new(stat.Mode, stat.Uid, stat.Gid, stat.Size, ((ulong)stat.DevMajor << 32) | stat.DevMinor, stat.Ino);

    private static FileDescriptor Check(int fd, string operation, string path) =>
        fd >= 0 ? new FileDescriptor(fd) : throw new IOException($"{operation} {path} failed: {LibC.Describe(Marshal.GetLastPInvokeError())}");

    private static string CheckName(string name)
    {
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a single directory entry name.", nameof(name));
        }

        return name;
    }
}

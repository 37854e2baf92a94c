using NotebookGateway.Kernels.Interop;

namespace NotebookGateway.Kernels.Security;

/// <summary>What statx said about one inode.</summary>
public readonly record struct FileStatus(uint Mode, uint Uid, uint Gid, ulong Size, ulong Device, ulong Inode)
{
    public uint Type => Mode & LibC.S_IFMT;

    public bool IsSocket => Type == LibC.S_IFSOCK;

    public bool IsSymbolicLink => Type == LibC.S_IFLNK;

    public bool IsDirectory => Type == LibC.S_IFDIR;

    public bool IsRegularFile => Type == LibC.S_IFREG;

    public uint Permissions => Mode & 0xFFF;

    /// <summary>"socket", "symlink", "fifo", … for logs and security events.</summary>
    public string TypeName => Type switch
    {
        LibC.S_IFSOCK => "socket",
        LibC.S_IFLNK => "symlink",
        LibC.S_IFREG => "regular file",
        LibC.S_IFDIR => "directory",
        LibC.S_IFIFO => "fifo",
        LibC.S_IFCHR => "character device",
        LibC.S_IFBLK => "block device",
        _ => "unknown",
    };
}

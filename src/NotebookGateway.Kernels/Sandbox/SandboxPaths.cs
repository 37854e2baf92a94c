namespace NotebookGateway.Kernels.Sandbox;

/// <summary>Fixed paths inside every sandbox. Neutral names: nothing of the host's layout shows through.</summary>
public static class SandboxPaths
{
    public const string KernelDirectory = "/kernel";

    /// <summary>The per-run socket directory (a host tmpfs, bind-mounted read-write).</summary>
    public const string SocketDirectory = "/kernel/sockets";

    /// <summary>The connection file (bind-mounted read-only).</summary>
    public const string ConnectionFile = "/kernel/connection.json";

    /// <summary>ipc path prefix in the connection file: the kernel binds <c>k-1</c> … <c>k-5</c>.</summary>
    public const string SocketPrefix = "/kernel/sockets/k";

    /// <summary>Where the socket names come from (<c>{prefix}-{port}</c>).</summary>
    public const string SocketNamePrefix = "k";
}

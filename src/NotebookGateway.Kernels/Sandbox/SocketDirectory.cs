using System.Globalization;
using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// One kernel run's host side: a socket directory (a tmpfs with size and inode limits, mode 0700, owned by the
/// sandbox uid; bind-mounted at <see cref="SandboxPaths.SocketDirectory"/>) and, beside it in the gateway's own
/// root-only directory, the connection file (bind-mounted read-only). The gateway never reads either back: it keeps
/// its own <see cref="ConnectionInfo"/>, and it reaches the sockets only through checked O_PATH descriptors.
/// </summary>
public sealed partial class SocketDirectory
{
    private readonly ILogger _logger;

    private SocketDirectory(string hostPath, string connectionFilePath, uint uid, uint gid, bool isTmpfs, ILogger logger)
    {
        HostPath = hostPath;
        ConnectionFilePath = connectionFilePath;
        Uid = uid;
        Gid = gid;
        IsTmpfs = isTmpfs;
        _logger = logger;
    }

    /// <summary>The directory on the host.</summary>
    public string HostPath { get; }

    /// <summary>The connection file on the host (outside <see cref="HostPath"/>).</summary>
    public string ConnectionFilePath { get; }

    /// <summary>
    /// Where the gateway's egress proxy listens for this run when it has a network policy: beside the connection file
    /// in the gateway's root-only directory (never inside the sandbox-writable one), bind-mounted read-only.
    /// </summary>
    public string EgressSocketPath => HostPath + ".egress";

    public uint Uid { get; }

    public uint Gid { get; }

    /// <summary>False when mounting the tmpfs failed and a plain directory is used instead.</summary>
    public bool IsTmpfs { get; }

    /// <summary>Creates <c>{parent}/{runId}</c>. <paramref name="parent"/> must be a root-only directory of the gateway.</summary>
    public static SocketDirectory Create(string parent, string runId, uint uid, uint gid, SandboxOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var hostPath = Path.Combine(parent, runId);
        var connectionFile = hostPath + ".json";
        NoFollow.CreateDirectory(hostPath, 0b111_000_000, 0, 0);
        var isTmpfs = false;
        try
        {
            if (options.SocketDirectoryTmpfs)
            {
                var mountOptions = string.Create(CultureInfo.InvariantCulture,
                    $"size={options.SocketDirectorySizeKiB}k,nr_inodes={options.SocketDirectoryInodes},mode=0700,uid={uid},gid={gid}");
                var error = HostMounts.TryMountTmpfs(hostPath, mountOptions);
                if (error is null)
                {
                    isTmpfs = true;
                }
                else
                {
                    Log.TmpfsFallback(logger, hostPath, error);
                }
            }

            if (!isTmpfs)
            {
                using var directory = NoFollow.OpenDirectory(hostPath);
                if (Interop.LibC.FChown(directory.Value, uid, gid) != 0)
                {
                    throw new IOException($"chown {hostPath} failed: {Interop.LibC.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
                }
            }

            return new SocketDirectory(hostPath, connectionFile, uid, gid, isTmpfs, logger);
        }
        catch
        {
            if (isTmpfs)
            {
                _ = HostMounts.TryUnmount(hostPath, detach: true);
            }

            _ = NoFollow.DeleteTree(hostPath);
            throw;
        }
    }

    /// <summary>Writes the connection file: new (O_EXCL|O_NOFOLLOW), mode 0400, owned by the sandbox uid.</summary>
    public void WriteConnectionFile(ConnectionInfo connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        NoFollow.WriteNewFile(ConnectionFilePath, connection.ToJson(), 0b100_000_000, Uid, Gid);
    }

    /// <summary>
    /// How often, at most, the directory is looked at while the kernel boots: every look costs five <c>openat</c> calls,
    /// while a longer interval adds half of itself to every start on average (at 200 ms it was a tenth of a start).
    /// </summary>
    private const double MaxPollMilliseconds = 15;

    /// <summary>
    /// Waits until the kernel has bound all five sockets, opening each with O_PATH|O_NOFOLLOW and checking that it is
    /// a socket owned by the sandbox uid. Polls with a growing interval (10 ms up to <see cref="MaxPollMilliseconds"/>); bounded by
    /// <paramref name="cancellationToken"/> (the launch timeout) and by <paramref name="containerExited"/>.
    /// </summary>
    /// <exception cref="SandboxSecurityException">Something other than the kernel's own socket sits at a socket name.</exception>
    /// <exception cref="ContainerExitedException">The container stopped before the sockets were there.</exception>
    public async Task<KernelSocketSet> WaitForSocketsAsync(ConnectionInfo connection, TimeProvider timeProvider, Task containerExited, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(containerExited);
        var names = SocketNames(connection);
        var opened = new Dictionary<MessageChannel, FileDescriptor>();
        var success = false;
        try
        {
            using var directory = NoFollow.OpenDirectory(HostPath);
            var delay = TimeSpan.FromMilliseconds(10);
            while (true)
            {
                foreach (var (channel, name) in names)
                {
                    if (!opened.ContainsKey(channel) && OpenChecked(directory, name) is { } descriptor)
                    {
                        opened[channel] = descriptor;
                    }
                }

                if (opened.Count == names.Count)
                {
                    success = true;
                    return new KernelSocketSet(opened);
                }

                var wait = Task.Delay(delay, timeProvider, cancellationToken);
                await Task.WhenAny(wait, containerExited).ConfigureAwait(false);
                if (containerExited.IsCompleted)
                {
                    throw new ContainerExitedException("The container stopped before the kernel bound its sockets.");
                }

                cancellationToken.ThrowIfCancellationRequested();
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, MaxPollMilliseconds));
            }
        }
        finally
        {
            if (!success)
            {
                DisposeAll(opened);
            }
        }
    }

    /// <summary>
    /// The five sockets of a running kernel an earlier gateway process started, checked as
    /// <see cref="WaitForSocketsAsync"/> checks new ones; all must be there now.
    /// </summary>
    /// <exception cref="SandboxSecurityException">A socket is missing, or something else sits at its name.</exception>
    public KernelSocketSet OpenExisting(ConnectionInfo connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var opened = new Dictionary<MessageChannel, FileDescriptor>();
        try
        {
            using var directory = NoFollow.OpenDirectory(HostPath);
            foreach (var (channel, name) in SocketNames(connection))
            {
                opened[channel] = OpenChecked(directory, name)
                    ?? throw new SandboxSecurityException(SecurityEventKinds.SocketNotASocket, $"{name} is missing from the socket directory.");
            }

            return new KernelSocketSet(opened);
        }
        catch
        {
            DisposeAll(opened);
            throw;
        }
    }

    /// <summary>The socket file name of each channel in the run's directory.</summary>
    private static Dictionary<MessageChannel, string> SocketNames(ConnectionInfo connection) =>
        KernelSocketSet.Channels.ToDictionary(c => c, c => Path.GetFileName(connection.IpcPathOf(c)
            ?? throw new ArgumentException("The connection must use the ipc transport.", nameof(connection))));

    private static void DisposeAll(Dictionary<MessageChannel, FileDescriptor> opened)
    {
        foreach (var descriptor in opened.Values)
        {
            descriptor.Dispose();
        }
    }

    /// <summary>
    /// Removes the run's host state without following anything: unmounts the tmpfs, unlinks whatever is left in the
    /// directory by descriptor, removes the directory and the connection file. Descriptors into the directory must be
    /// closed first. Returns what could not be removed (logged by the caller).
    /// </summary>
    public IReadOnlyList<string> Remove()
    {
        var failures = new List<string>();
        if (IsTmpfs && HostMounts.TryUnmount(HostPath) is { } error
            && HostMounts.TryUnmount(HostPath, detach: true) is { } detachError)
        {
            failures.Add($"umount {HostPath}: {error}; detach: {detachError}");
        }

        failures.AddRange(NoFollow.DeleteTree(HostPath));
        if (!NoFollow.Unlink(ConnectionFilePath))
        {
            failures.Add($"unlink {ConnectionFilePath} failed");
        }

        if (!NoFollow.Unlink(EgressSocketPath))
        {
            failures.Add($"unlink {EgressSocketPath} failed");
        }

        return failures;
    }

    /// <summary>
    /// Removes every socket directory and connection file under <paramref name="parent"/> (stale runs of an earlier
    /// gateway process) except those of <paramref name="keepRuns"/> (runs taken back): unmounts first, then deletes by
    /// descriptor. Returns what could not be removed.
    /// </summary>
    public static IReadOnlyList<string> Sweep(string parent, IEnumerable<string> keepRuns) =>
        HostMounts.SweepExcept(parent, keepRuns.SelectMany(run => new[] { run, run + ".json", run + ".egress" }).ToHashSet(StringComparer.Ordinal));

    /// <summary>
    /// The socket directory of a run an earlier gateway process started, to take back: it must still be the directory
    /// (and, if it was one, the tmpfs) the gateway made. Its sockets are checked as at launch by the caller.
    /// </summary>
    /// <exception cref="SandboxSecurityException">It is missing, a link, someone else's, or no longer mounted.</exception>
    public static SocketDirectory Reattach(string parent, string runId, uint uid, uint gid, bool isTmpfs, ILogger logger)
    {
        var hostPath = Path.Combine(parent, runId);
        var status = NoFollow.TryStat(hostPath);
        var problem = status switch
        {
            null => "is missing",
            { IsDirectory: false } => $"is a {status.Value.TypeName}",
            { } s when s.Uid != uid => $"is owned by uid {s.Uid}, not {uid}",
            _ when isTmpfs && !HostMounts.IsMountPoint(hostPath) => "is no longer its tmpfs",
            _ => null,
        };
        if (problem is not null)
        {
            throw new SandboxSecurityException(SecurityEventKinds.ReadoptRefused, $"socket directory {hostPath} {problem}");
        }

        return new SocketDirectory(hostPath, hostPath + ".json", uid, gid, isTmpfs, logger);
    }

    /// <summary>
    /// Checks, without following, that <see cref="EgressSocketPath"/> is the socket the gateway just bound: a socket
    /// owned by the gateway (uid 0), not something else left at that name.
    /// </summary>
    /// <exception cref="SandboxSecurityException">Anything else is there.</exception>
    public void CheckEgressSocket()
    {
        var status = NoFollow.TryStat(EgressSocketPath);
        if (status is not { IsSocket: true } found || found.Uid != Interop.LibC.GetEUid())
        {
            throw new SandboxSecurityException(SecurityEventKinds.EgressSocket, $"{EgressSocketPath} is {(status is { } s ? s.TypeName + " owned by uid " + s.Uid : "missing")}, not the gateway's egress socket");
        }
    }

    /// <summary>The entry's O_PATH descriptor if it is the kernel's socket; null if absent; throws for anything else.</summary>
    internal FileDescriptor? OpenChecked(FileDescriptor directory, string name)
    {
        var descriptor = NoFollow.TryOpenPathAt(directory, name);
        if (descriptor is null)
        {
            return null;
        }

        try
        {
            var status = NoFollow.Stat(descriptor);
            if (status.IsSymbolicLink)
            {
                var target = NoFollow.TryReadLinkAt(directory, name) ?? "?";
                throw new SandboxSecurityException(SecurityEventKinds.SocketSymlink,
                    $"{name} in the socket directory is a symbolic link to '{target}'; not followed.");
            }

            if (!status.IsSocket)
            {
                throw new SandboxSecurityException(SecurityEventKinds.SocketNotASocket,
                    $"{name} in the socket directory is a {status.TypeName} (mode {Convert.ToString(status.Mode, 8)}), not a socket.");
            }

            if (status.Uid != Uid)
            {
                throw new SandboxSecurityException(SecurityEventKinds.SocketWrongOwner,
                    $"{name} in the socket directory is owned by uid {status.Uid}, not the sandbox uid {Uid}.");
            }

            return descriptor;
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
            Message = "Could not mount a tmpfs on socket directory `{Path}` ({Error}); using a plain 0700 directory without size or inode limits")]
        public static partial void TmpfsFallback(ILogger logger, string path, string error);
    }
}

/// <summary>The kernel's container stopped while the gateway was waiting for it.</summary>
public sealed class ContainerExitedException : Exception
{
    public ContainerExitedException()
    {
    }

    public ContainerExitedException(string message) : base(message)
    {
    }

    public ContainerExitedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

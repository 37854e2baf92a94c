using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Kernels.Options;
using NotebookGateway.Kernels.Sandbox;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Tests.Sandbox;

/// <summary>The host side of the socket protocol, with sockets and plants made by the test itself.</summary>
public sealed class SocketDirectoryTests : IDisposable
{
    private const uint SandboxUid = 399_999;
    private static readonly ConnectionInfo Connection = ConnectionInfo.CreateIpc(SandboxPaths.SocketPrefix);
    private readonly TempDirectory _parent = new("sockdir");
    private readonly List<Socket> _sockets = [];

    public void Dispose()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _parent.Dispose();
    }

    [Fact]
    public void Create_Default_MountsA0700TmpfsWithSizeAndInodeLimits()
    {
        var dir = SocketDirectory.Create(_parent.Path, "run1", SandboxUid, SandboxUid, new SandboxOptions(), NullLogger.Instance);
        try
        {
            Assert.True(dir.IsTmpfs);
            var line = File.ReadLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == dir.HostPath);
            Assert.Contains(" - tmpfs ", line, StringComparison.Ordinal);
            Assert.Contains("size=1024k", line, StringComparison.Ordinal);
            Assert.Contains("nr_inodes=64", line, StringComparison.Ordinal);
            Assert.Contains("nosuid", line, StringComparison.Ordinal);
            Assert.Contains("noexec", line, StringComparison.Ordinal);
            var status = NoFollow.TryStat(dir.HostPath)!.Value;
            Assert.Equal(SandboxUid, status.Uid);
            Assert.Equal(0b111_000_000u, status.Permissions);
        }
        finally
        {
            Assert.Empty(dir.Remove());
        }

        Assert.False(Directory.Exists(dir.HostPath));
        Assert.False(HostMounts.IsMountPoint(dir.HostPath));
    }

    [Fact]
    public void WriteConnectionFile_OutsideTheSocketDirectory_IsReadOnlyForTheSandboxUid()
    {
        var dir = SocketDirectory.Create(_parent.Path, "run2", SandboxUid, SandboxUid, new SandboxOptions(), NullLogger.Instance);
        try
        {
            dir.WriteConnectionFile(Connection);

            Assert.Equal(_parent.Path, Path.GetDirectoryName(dir.ConnectionFilePath));
            var status = NoFollow.TryStat(dir.ConnectionFilePath)!.Value;
            Assert.Equal(SandboxUid, status.Uid);
            Assert.Equal(0b100_000_000u, status.Permissions);
            Assert.Equal(Connection.Key, ConnectionInfo.Parse(File.ReadAllBytes(dir.ConnectionFilePath)).Key);
        }
        finally
        {
            Assert.Empty(dir.Remove());
        }

        Assert.False(File.Exists(dir.ConnectionFilePath));
    }

    [Fact]
    public async Task WaitForSockets_GenuineSockets_ConnectThroughProcSelfFd()
    {
        var dir = Create("ok");
        try
        {
            var listeners = Enumerable.Range(1, 5).Select(i => Listen(Path.Combine(dir.HostPath, $"k-{i}"), chownTo: SandboxUid)).ToList();

            using var set = await dir.WaitForSocketsAsync(Connection, TimeProvider.System, Task.Delay(Timeout.Infinite), CancellationToken.None);

            var endpoint = set.EndpointOf(MessageChannel.Control);
            Assert.StartsWith("ipc:///proc/self/fd/", endpoint, StringComparison.Ordinal);
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(endpoint["ipc://".Length..]));
            using var accepted = await listeners[3].AcceptAsync().WaitAsync(TestTimeouts.Short);
            Assert.NotNull(accepted);
        }
        finally
        {
            Assert.Empty(dir.Remove());
        }
    }

    [Fact]
    public async Task WaitForSockets_SymlinkToHostSocket_IsRefusedAndNeverConnected()
    {
        using var target = new TempDirectory("target");
        var listener = Listen(target.Combine("host.sock"), chownTo: null);
        var dir = Create("symlink");
        try
        {
            File.CreateSymbolicLink(Path.Combine(dir.HostPath, "k-1"), target.Combine("host.sock"));
            TestLibC.Chown(Path.Combine(dir.HostPath, "k-1"), SandboxUid);

            var ex = await Assert.ThrowsAsync<SandboxSecurityException>(() =>
                dir.WaitForSocketsAsync(Connection, TimeProvider.System, Task.Delay(Timeout.Infinite), CancellationToken.None));

            Assert.Equal(SecurityEventKinds.SocketSymlink, ex.Kind);
            Assert.Contains(target.Combine("host.sock"), ex.Message, StringComparison.Ordinal);
            Assert.False(listener.Poll(0, SelectMode.SelectRead), "a connection reached the link's target");
        }
        finally
        {
            Assert.Empty(dir.Remove());
        }
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("file")]
    [InlineData("directory")]
    public async Task WaitForSockets_NotASocket_IsRefusedWithoutBlocking(string kind)
    {
        var dir = Create(kind);
        try
        {
            var path = Path.Combine(dir.HostPath, "k-1");
            switch (kind)
            {
                case "fifo":
                    Assert.Equal(0, TestLibC.MkFifo(path, 0b110_110_110));
                    break;
                case "file":
                    File.WriteAllText(path, "{}");
                    break;
                default:
                    Directory.CreateDirectory(path);
                    break;
            }

            TestLibC.Chown(path, SandboxUid);

            var ex = await Assert.ThrowsAsync<SandboxSecurityException>(() =>
                dir.WaitForSocketsAsync(Connection, TimeProvider.System, Task.Delay(Timeout.Infinite), CancellationToken.None)).WaitAsync(TestTimeouts.Short);

            Assert.Equal(SecurityEventKinds.SocketNotASocket, ex.Kind);
        }
        finally
        {
            Assert.Empty(dir.Remove());
        }
    }

    [Fact]
    public async Task WaitForSockets_SocketOfAnotherUid_IsRefused()
    {
        var dir = Create("owner");
        try
        {
            Listen(Path.Combine(dir.HostPath, "k-1"), chownTo: SandboxUid + 1);

            var ex = await Assert.ThrowsAsync<SandboxSecurityException>(() =>
                dir.WaitForSocketsAsync(Connection, TimeProvider.System, Task.Delay(Timeout.Infinite), CancellationToken.None));

            Assert.Equal(SecurityEventKinds.SocketWrongOwner, ex.Kind);
        }
        finally
        {
            Assert.Empty(dir.Remove());
        }
    }

    [Fact]
    public async Task WaitForSockets_ContainerExits_StopsWaiting()
    {
        var dir = Create("exit");
        try
        {
            await Assert.ThrowsAsync<ContainerExitedException>(() =>
                dir.WaitForSocketsAsync(Connection, TimeProvider.System, Task.CompletedTask, CancellationToken.None));
        }
        finally
        {
            Assert.Empty(dir.Remove());
        }
    }

    private SocketDirectory Create(string runId) =>
        SocketDirectory.Create(_parent.Path, runId, SandboxUid, SandboxUid, new SandboxOptions { SocketDirectoryTmpfs = false }, NullLogger.Instance);

    private Socket Listen(string path, uint? chownTo)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(8);
        _sockets.Add(socket);
        if (chownTo is { } uid)
        {
            TestLibC.Chown(path, uid);
        }

        return socket;
    }
}

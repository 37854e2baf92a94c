using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Kernels.Sandbox;

namespace NotebookGateway.Kernels.Tests.Sandbox;

public sealed class LoopbackRelayTests
{
    [Fact]
    public void KernelSide_IsTcpOnTheContainerLoopbackWithTheSameKey()
    {
        ConnectionInfo gateway = ConnectionInfo.CreateIpc(SandboxPaths.SocketPrefix, "ir");

        ConnectionInfo kernel = LoopbackRelay.KernelSide(gateway);

        Assert.Equal("tcp", kernel.Transport);
        Assert.Equal("127.0.0.1", kernel.Ip);
        Assert.Equal(gateway.Key, kernel.Key);
        Assert.Equal(gateway.SignatureScheme, kernel.SignatureScheme);
        int[] ports = [kernel.ShellPort, kernel.IOPubPort, kernel.StdinPort, kernel.ControlPort, kernel.HeartbeatPort];
        Assert.Equal(5, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, 65535)); // unprivileged: the kernel has no capabilities
    }

    [Fact]
    public void CommandPrefix_JoinsEachSocketOfTheDirectoryToItsPort()
    {
        ConnectionInfo gateway = ConnectionInfo.CreateIpc(SandboxPaths.SocketPrefix, "ir");
        ConnectionInfo kernel = LoopbackRelay.KernelSide(gateway);

        IReadOnlyList<string> prefix = LoopbackRelay.CommandPrefix(gateway);

        Assert.Equal(LoopbackRelay.Program, prefix[0]);
        Assert.Equal("--", prefix[^1]);
        Assert.Equal(
        [
            $"{gateway.IpcPathOf(Jupyter.Messages.MessageChannel.Shell)}={kernel.ShellPort}",
            $"{gateway.IpcPathOf(Jupyter.Messages.MessageChannel.IOPub)}={kernel.IOPubPort}",
            $"{gateway.IpcPathOf(Jupyter.Messages.MessageChannel.Stdin)}={kernel.StdinPort}",
            $"{gateway.IpcPathOf(Jupyter.Messages.MessageChannel.Control)}={kernel.ControlPort}",
            $"{gateway.IpcPathOf(Jupyter.Messages.MessageChannel.Heartbeat)}={kernel.HeartbeatPort}",
        ], prefix.Skip(1).Take(5));
        Assert.All(prefix.Skip(1).Take(5), a => Assert.StartsWith(SandboxPaths.SocketDirectory + "/", a, StringComparison.Ordinal));
    }

    [Fact]
    public void CommandPrefix_OfATcpConnection_IsRefused() =>
        Assert.Throws<ArgumentException>(() => LoopbackRelay.CommandPrefix(ConnectionInfo.CreateTcp()));
}

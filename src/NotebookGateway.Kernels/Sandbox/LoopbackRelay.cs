using System.Globalization;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// The <see cref="Specs.KernelTransport.TcpLoopback"/> transport: what the kernel is told (tcp on the container's
/// loopback) and the relay command that joins those ports to the socket directory's Unix sockets, which is all the
/// gateway ever connects to.
/// </summary>
public static class LoopbackRelay
{
    /// <summary>The relay program of the base image (<c>sandbox-images/base/nbgw-loopback-relay</c>).</summary>
    public const string Program = "/usr/local/bin/nbgw-loopback-relay";

    /// <summary>Ports on the container's own loopback: the container has a network namespace of its own, so fixed
    /// ports collide with nothing; unprivileged (≥ 1024) because the kernel runs without capabilities.</summary>
    public const int FirstPort = 50001;

    private static readonly MessageChannel[] Channels =
        [MessageChannel.Shell, MessageChannel.IOPub, MessageChannel.Stdin, MessageChannel.Control, MessageChannel.Heartbeat];

    /// <summary>The connection file the kernel reads: the gateway's key, tcp on 127.0.0.1.</summary>
    public static ConnectionInfo KernelSide(ConnectionInfo gatewaySide)
    {
        ArgumentNullException.ThrowIfNull(gatewaySide);
        return gatewaySide with
        {
            Transport = "tcp",
            Ip = "127.0.0.1",
            ShellPort = PortOf(MessageChannel.Shell),
            IOPubPort = PortOf(MessageChannel.IOPub),
            StdinPort = PortOf(MessageChannel.Stdin),
            ControlPort = PortOf(MessageChannel.Control),
            HeartbeatPort = PortOf(MessageChannel.Heartbeat),
        };
    }

    /// <summary><c>nbgw-loopback-relay SOCKET=PORT … --</c>: put before the kernel's argv.</summary>
    public static IReadOnlyList<string> CommandPrefix(ConnectionInfo gatewaySide)
    {
        ArgumentNullException.ThrowIfNull(gatewaySide);
        var command = new List<string> { Program };
        foreach (var channel in Channels)
        {
            var socket = gatewaySide.IpcPathOf(channel) ?? throw new ArgumentException("The gateway side must use ipc.", nameof(gatewaySide));
            command.Add(string.Create(CultureInfo.InvariantCulture, $"{socket}={PortOf(channel)}"));
        }

        command.Add("--");
        return command;
    }

    private static int PortOf(MessageChannel channel) => FirstPort + Array.IndexOf(Channels, channel);
}

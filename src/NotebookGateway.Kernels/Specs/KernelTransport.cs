namespace NotebookGateway.Kernels.Specs;

/// <summary>How a kernel's five ZeroMQ sockets reach the gateway (<c>metadata.notebookgateway.transport</c>).</summary>
public enum KernelTransport
{
    /// <summary><c>"ipc"</c> (default): the kernel binds Unix sockets in the bind-mounted socket directory.</summary>
    Ipc,

    /// <summary>
    /// <c>"tcp-loopback"</c>, for kernels that can only bind <c>tcp://</c> (IRkernel, ijavascript, .NET Interactive): the
    /// kernel's connection file names tcp ports on the container's own loopback, and a relay in the container
    /// (<c>nbgw-loopback-relay</c>) listens on the Unix sockets of the socket directory and forwards each connection's
    /// bytes to those ports (ZMTP is the same byte stream over both). The gateway still connects only through the socket
    /// directory, with the same checks; the container still has no network but <c>lo</c>, and no host port exists.
    /// </summary>
    TcpLoopback,
}

using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Kernels.Security;

namespace NotebookGateway.Kernels.Sandbox;

/// <summary>
/// The five kernel sockets, each held open as an O_PATH descriptor that was checked (a socket, owned by the
/// sandbox uid). ZeroMQ connects through <c>/proc/self/fd/N</c>, i.e. to exactly the checked inode, whatever the
/// sandbox does to the names afterwards. Kept open for the run's lifetime.
/// </summary>
public sealed class KernelSocketSet : IDisposable
{
    private readonly Dictionary<MessageChannel, FileDescriptor> _descriptors;

    internal KernelSocketSet(Dictionary<MessageChannel, FileDescriptor> descriptors) => _descriptors = descriptors;

    public static readonly IReadOnlyList<MessageChannel> Channels =
        [MessageChannel.Shell, MessageChannel.IOPub, MessageChannel.Stdin, MessageChannel.Control, MessageChannel.Heartbeat];

    /// <summary>The endpoint libzmq connects to for a channel.</summary>
    public string EndpointOf(MessageChannel channel) => "ipc://" + _descriptors[channel].ProcPath;

    public void Dispose()
    {
        foreach (var descriptor in _descriptors.Values)
        {
            descriptor.Dispose();
        }

        _descriptors.Clear();
    }
}

using Microsoft.Extensions.Logging;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Kernel;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// The tool's side of the bridge: the kernel-side sockets (<see cref="KernelSideSockets"/>) of the connection file the
/// tool wrote, on a ZeroMQ context of the bridge's own, used as a relay. Nothing here waits on the tool: iopub is a PUB
/// socket and the others ROUTER sockets (the heartbeat too), which drop rather than block.
/// </summary>
internal sealed class ToolSockets : IAsyncDisposable
{
    private readonly ZmqContext _zmq;
    private readonly KernelSideSockets _sockets;

    public ToolSockets(ConnectionInfo connection, long maxMessageBytes, ILogger logger)
    {
        _zmq = new ZmqContext(new ZmqContextOptions { MaxSockets = 64, RaiseOpenFileLimit = false, TerminateTimeout = TimeSpan.FromSeconds(2) });
        // Linger: a reply sent just before exit (shutdown_reply) still reaches the tool. A ROUTER heartbeat: a ping may go
        // unanswered (the remote kernel is dead) without wedging the socket.
        var common = new ZmqSocketOptions { Linger = TimeSpan.FromSeconds(1) };
        _sockets = new KernelSideSockets(connection, _zmq.Reactor, new WireLimits { MaxMessageBytes = maxMessageBytes }, logger,
            common, ZmqSocketType.Router, common with { Linger = TimeSpan.Zero });
    }

    public Task BindAsync() => _sockets.BindAsync();

    /// <summary>Receives the tool's messages on shell, control or stdin until stopped; a message that fails its check is logged and skipped.</summary>
    public Task ServeAsync(MessageChannel channel, Func<JupyterMessage, MessageChannel, Task> handle, CancellationToken stopping) =>
        _sockets.ServeAsync(channel, async message =>
        {
            await handle(message, channel).ConfigureAwait(false);
            return true;
        }, stopping);

    /// <summary>Echoes the tool's heartbeat pings while <paramref name="alive"/> says so (a dead kernel stops answering).</summary>
    public Task EchoHeartbeatAsync(Func<bool> alive, CancellationToken stopping) => _sockets.EchoHeartbeatAsync(alive, stopping);

    /// <summary>Sends a reply made by the bridge itself on shell or control (its identities already the requester's).</summary>
    public Task SendReplyAsync(MessageChannel channel, JupyterMessage message) =>
        SendQuietlyAsync(channel == MessageChannel.Control ? MessageChannel.Control : MessageChannel.Shell, message);

    /// <summary>Publishes a message made by the bridge itself on iopub.</summary>
    public Task PublishAsync(JupyterMessage message) => SendQuietlyAsync(MessageChannel.IOPub, message);

    /// <summary>
    /// Relays a gateway message to the tool on <paramref name="channel"/>, addressed to <paramref name="identities"/> (iopub:
    /// to every subscriber), without waiting for the reactor to take it: the reactor's command queue keeps them in order,
    /// and a PUB or ROUTER socket drops rather than blocks, so the relay never waits on the tool.
    /// </summary>
    public void Relay(MessageChannel channel, JupyterMessage message, IReadOnlyList<ReadOnlyMemory<byte>> identities)
    {
        Task sending = _sockets.SendAsync(channel, channel == MessageChannel.IOPub ? message : message.WithIdentities(identities));
        if (!sending.IsCompletedSuccessfully)
        {
            _ = sending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sockets.DisposeAsync().ConfigureAwait(false);
        await _zmq.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Sends, ignoring a socket already closed (the bridge is stopping).</summary>
    private async Task SendQuietlyAsync(MessageChannel channel, JupyterMessage message)
    {
        try
        {
            await _sockets.SendAsync(channel, message).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Stdin;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Jupyter.Kernel;

/// <summary>
/// The kernel side of the protocol: binds shell, control and stdin (ROUTER), iopub (PUB) and heartbeat
/// (REP) from a connection file, verifies every request, publishes busy/idle around each one and routes
/// replies back to the requester. Shell requests run one at a time; control runs beside them, so an
/// interrupt or shutdown is served while a cell runs.
/// </summary>
public sealed class KernelServer : IAsyncDisposable
{
    private readonly IKernelHandler _handler;
    private readonly KernelServerOptions _options;
    private readonly KernelSideSockets _sockets;
    private readonly ConcurrentDictionary<string, PendingInput> _inputs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _running;
    private Task[] _loops = [];
    private int _disposed;

    private KernelServer(ConnectionInfo connection, ZmqReactor reactor, IKernelHandler handler, KernelServerOptions options, ILogger logger)
    {
        _handler = handler;
        _options = options;
        _sockets = new KernelSideSockets(connection, reactor, options.Limits, logger);
    }

    public string Session => _options.Session;

    /// <summary>Completes once a <c>shutdown_request</c> has been answered.</summary>
    public Task Completion => _completion.Task;

    public long RejectedMessages => _sockets.RejectedMessages;

    public static async Task<KernelServer> StartAsync(
        ConnectionInfo connection,
        ZmqReactor reactor,
        IKernelHandler handler,
        KernelServerOptions? options = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var server = new KernelServer(connection, reactor, handler, options ?? new KernelServerOptions(), logger ?? NullLogger.Instance);
        try
        {
            await server.BindAsync().ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>Publishes on iopub; with a parent, the message belongs to that request.</summary>
    public Task PublishAsync(string msgType, ReadOnlyMemory<byte> content, JupyterMessage? parent = null)
    {
        JupyterMessage message = JupyterMessage.Create(msgType, content, _options.Session, _options.Username, parent);
        return _sockets.SendAsync(MessageChannel.IOPub, message);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sockets.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        foreach (PendingInput input in _inputs.Values)
        {
            input.Reply.TrySetCanceled();
        }
        _completion.TrySetResult();
        _stopping.Dispose();
    }

    internal async Task<string> RequestInputAsync(JupyterMessage request, string prompt, bool password, CancellationToken cancellationToken)
    {
        JupyterMessage inputRequest = JupyterMessage.Create(
            MessageTypes.InputRequest,
            MessageContentTypes.Serialize(new InputRequest { Prompt = prompt, Password = password }),
            _options.Session,
            _options.Username,
            request);
        var answer = new PendingInput(request.Identities);
        _inputs[inputRequest.MsgId] = answer;
        try
        {
            // The requester's stdin socket has the same routing id as its shell socket.
            await _sockets.SendAsync(MessageChannel.Stdin, inputRequest, cancellationToken).ConfigureAwait(false);
            JupyterMessage reply = await answer.Reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return reply.ReadContent(JupyterMessageJsonContext.Default.InputReply)?.Value ?? "";
        }
        finally
        {
            _inputs.TryRemove(inputRequest.MsgId, out _);
        }
    }

    private async Task BindAsync()
    {
        await _sockets.BindAsync().ConfigureAwait(false);
        _loops =
        [
            _sockets.ServeAsync(MessageChannel.Shell, request => HandleAsync(MessageChannel.Shell, request), _stopping.Token),
            _sockets.ServeAsync(MessageChannel.Control, request => HandleAsync(MessageChannel.Control, request), _stopping.Token),
            _sockets.ServeAsync(MessageChannel.Stdin, OnInputReply, _stopping.Token),
            _sockets.EchoHeartbeatAsync(static () => true, _stopping.Token),
        ];
        await PublishAsync(MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Starting })).ConfigureAwait(false);
    }

    /// <summary>Returns false when the kernel should stop serving (shutdown).</summary>
    private async Task<bool> HandleAsync(MessageChannel channel, JupyterMessage request)
    {
        await PublishStatusAsync(ExecutionStates.Busy, request).ConfigureAwait(false);
        try
        {
            switch (request.MsgType)
            {
                case MessageTypes.ShutdownRequest:
                    bool restart = request.ReadContent(JupyterMessageJsonContext.Default.ShutdownRequest)?.Restart ?? false;
                    await ReplyAsync(channel, request, KernelReply.From(new ShutdownReply { Status = ReplyStatus.Ok, Restart = restart })).ConfigureAwait(false);
                    if (!restart)
                    {
                        _completion.TrySetResult();
                        return false;
                    }
                    return true;
                case MessageTypes.InterruptRequest:
                    if (Volatile.Read(ref _running) is { } running)
                    {
                        await running.CancelAsync().ConfigureAwait(false);
                    }
                    await ReplyAsync(channel, request, KernelReply.From(new InterruptReply { Status = ReplyStatus.Ok })).ConfigureAwait(false);
                    return true;
            }
            using var current = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            if (channel == MessageChannel.Shell)
            {
                Volatile.Write(ref _running, current);
            }
            try
            {
                KernelReply? reply = await _handler.HandleAsync(new KernelRequestContext(this, request, channel), current.Token).ConfigureAwait(false);
                if (reply is not null)
                {
                    await ReplyAsync(channel, request, reply).ConfigureAwait(false);
                }
            }
            finally
            {
                if (channel == MessageChannel.Shell)
                {
                    Volatile.Write(ref _running, null);
                }
            }
            return true;
        }
        finally
        {
            await PublishStatusAsync(ExecutionStates.Idle, request).ConfigureAwait(false);
        }
    }

    private Task ReplyAsync(MessageChannel channel, JupyterMessage request, KernelReply reply)
    {
        // Create copies the request's identities, so the ROUTER sends the reply back to the requester.
        JupyterMessage message = JupyterMessage.Create(reply.MsgType, reply.Content, _options.Session, _options.Username, request);
        return _sockets.SendAsync(channel, message);
    }

    private Task PublishStatusAsync(string state, JupyterMessage parent) =>
        PublishAsync(MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = state }), parent);

    private Task<bool> OnInputReply(JupyterMessage reply)
    {
        // jupyter_client sends input_reply without a parent header: then the requester's
        // routing id tells which prompt it answers (one prompt per requester at a time).
        PendingInput? waiting = reply.ParentMsgId is { } parent && _inputs.TryGetValue(parent, out PendingInput? byParent)
            ? byParent
            : _inputs.Values.FirstOrDefault(p => p.IsFrom(reply.Identities));
        waiting?.Reply.TrySetResult(reply);
        return Task.FromResult(true);
    }

    private sealed class PendingInput(IReadOnlyList<ReadOnlyMemory<byte>> requester)
    {
        public TaskCompletionSource<JupyterMessage> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsFrom(IReadOnlyList<ReadOnlyMemory<byte>> identities) =>
            identities.Count == requester.Count && identities.Zip(requester).All(p => p.First.Span.SequenceEqual(p.Second.Span));
    }
}

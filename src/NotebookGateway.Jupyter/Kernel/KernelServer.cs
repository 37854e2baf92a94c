using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Control;
using NotebookGateway.Jupyter.Messages.IOPub;
using NotebookGateway.Jupyter.Messages.Stdin;
using NotebookGateway.Jupyter.Wire;
using NotebookGateway.Zmq;
using NotebookGateway.Zmq.Reactor;

namespace NotebookGateway.Jupyter.Kernel;

/// <summary>
/// The kernel side of the protocol: binds shell, control and stdin (ROUTER), iopub (PUB) and heartbeat
/// (REP) from a connection file, verifies every request, publishes busy/idle around each one and routes
/// replies back to the requester. Shell requests run one at a time; control runs beside them, so an
/// interrupt or shutdown is served while a cell runs.
/// </summary>
public sealed partial class KernelServer : IAsyncDisposable
{
    private readonly ConnectionInfo _connection;
    private readonly IKernelHandler _handler;
    private readonly KernelServerOptions _options;
    private readonly ILogger _logger;
    private readonly ZmqSocket _shell;
    private readonly ZmqSocket _control;
    private readonly ZmqSocket _stdin;
    private readonly ZmqSocket _iopub;
    private readonly ZmqSocket _heartbeat;
    private readonly ZmqWireCodec _shellCodec;
    private readonly ZmqWireCodec _controlCodec;
    private readonly ZmqWireCodec _stdinCodec;
    private readonly ZmqWireCodec _iopubCodec;
    private readonly ConcurrentDictionary<string, PendingInput> _inputs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _running;
    private Task[] _loops = [];
    private int _disposed;

    private KernelServer(ConnectionInfo connection, ZmqReactor reactor, IKernelHandler handler, KernelServerOptions options, ILogger logger)
    {
        _connection = connection;
        _handler = handler;
        _options = options;
        _logger = logger;
        MessageSigner signer = connection.CreateSigner();
        _shellCodec = new ZmqWireCodec(signer, options.Limits);
        _controlCodec = new ZmqWireCodec(signer, options.Limits);
        _stdinCodec = new ZmqWireCodec(signer, options.Limits);
        _iopubCodec = new ZmqWireCodec(signer, options.Limits);
        var common = new ZmqSocketOptions { MaxMessageSize = options.Limits.MaxMessageBytes };
        _shell = reactor.CreateSocket(ZmqSocketType.Router, common);
        _control = reactor.CreateSocket(ZmqSocketType.Router, common);
        _stdin = reactor.CreateSocket(ZmqSocketType.Router, common);
        _iopub = reactor.CreateSocket(ZmqSocketType.Pub, common);
        _heartbeat = reactor.CreateSocket(ZmqSocketType.Rep, common);
    }

    public string Session => _options.Session;

    /// <summary>Completes once a <c>shutdown_request</c> has been answered.</summary>
    public Task Completion => _completion.Task;

    public long RejectedMessages => _shellCodec.RejectedCount + _controlCodec.RejectedCount + _stdinCodec.RejectedCount;

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
        // The topic frame: jupyter_client uses "kernel.<id>.<msg_type>"; subscribers take everything.
        return _iopub.SendAsync(_iopubCodec.Encode(message.WithIdentities([System.Text.Encoding.UTF8.GetBytes("kernel." + msgType)])));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (ZmqSocket socket in new[] { _shell, _control, _stdin, _iopub, _heartbeat })
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
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
            await _stdin.SendAsync(_stdinCodec.Encode(inputRequest), cancellationToken).ConfigureAwait(false);
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
        await _shell.BindAsync(_connection.EndpointOf(MessageChannel.Shell)).ConfigureAwait(false);
        await _control.BindAsync(_connection.EndpointOf(MessageChannel.Control)).ConfigureAwait(false);
        await _stdin.BindAsync(_connection.EndpointOf(MessageChannel.Stdin)).ConfigureAwait(false);
        await _iopub.BindAsync(_connection.EndpointOf(MessageChannel.IOPub)).ConfigureAwait(false);
        await _heartbeat.BindAsync(_connection.EndpointOf(MessageChannel.Heartbeat)).ConfigureAwait(false);
        _loops =
        [
            ServeAsync(_shell, _shellCodec, MessageChannel.Shell),
            ServeAsync(_control, _controlCodec, MessageChannel.Control),
            ReceiveInputAsync(),
            EchoHeartbeatAsync(),
        ];
        await PublishAsync(MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = ExecutionStates.Starting })).ConfigureAwait(false);
    }

    private async Task ServeAsync(ZmqSocket socket, ZmqWireCodec codec, MessageChannel channel)
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage frames in socket.ReceiveAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                DecodeResult decoded = codec.Decode(frames);
                if (!decoded.Success)
                {
                    Log.RequestRejected(_logger, channel, decoded.Error);
                    continue;
                }
                JupyterMessage request = decoded.Message!;
                try
                {
                    if (!await HandleAsync(socket, codec, channel, request).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    Log.HandlerFailed(_logger, request.MsgType, ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Returns false when the kernel should stop serving (shutdown).</summary>
    private async Task<bool> HandleAsync(ZmqSocket socket, ZmqWireCodec codec, MessageChannel channel, JupyterMessage request)
    {
        await PublishStatusAsync(ExecutionStates.Busy, request).ConfigureAwait(false);
        try
        {
            switch (request.MsgType)
            {
                case MessageTypes.ShutdownRequest:
                    bool restart = request.ReadContent(JupyterMessageJsonContext.Default.ShutdownRequest)?.Restart ?? false;
                    await ReplyAsync(socket, codec, request, KernelReply.From(new ShutdownReply { Status = ReplyStatus.Ok, Restart = restart })).ConfigureAwait(false);
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
                    await ReplyAsync(socket, codec, request, KernelReply.From(new InterruptReply { Status = ReplyStatus.Ok })).ConfigureAwait(false);
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
                    await ReplyAsync(socket, codec, request, reply).ConfigureAwait(false);
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

    private Task ReplyAsync(ZmqSocket socket, ZmqWireCodec codec, JupyterMessage request, KernelReply reply)
    {
        // Create copies the request's identities, so the ROUTER sends the reply back to the requester.
        JupyterMessage message = JupyterMessage.Create(reply.MsgType, reply.Content, _options.Session, _options.Username, request);
        return socket.SendAsync(codec.Encode(message));
    }

    private Task PublishStatusAsync(string state, JupyterMessage parent) =>
        PublishAsync(MessageTypes.Status, MessageContentTypes.Serialize(new StatusContent { ExecutionState = state }), parent);

    private async Task ReceiveInputAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage frames in _stdin.ReceiveAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                DecodeResult decoded = _stdinCodec.Decode(frames);
                if (!decoded.Success)
                {
                    Log.RequestRejected(_logger, MessageChannel.Stdin, decoded.Error);
                    continue;
                }
                JupyterMessage reply = decoded.Message!;
                // jupyter_client sends input_reply without a parent header: then the requester's
                // routing id tells which prompt it answers (one prompt per requester at a time).
                PendingInput? waiting = reply.ParentMsgId is { } parent && _inputs.TryGetValue(parent, out PendingInput? byParent)
                    ? byParent
                    : _inputs.Values.FirstOrDefault(p => p.IsFrom(reply.Identities));
                waiting?.Reply.TrySetResult(reply);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task EchoHeartbeatAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (ZmqMessage ping in _heartbeat.ReceiveAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                await _heartbeat.SendAsync(ping, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private sealed class PendingInput(IReadOnlyList<ReadOnlyMemory<byte>> requester)
    {
        public TaskCompletionSource<JupyterMessage> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsFrom(IReadOnlyList<ReadOnlyMemory<byte>> identities) =>
            identities.Count == requester.Count && identities.Zip(requester).All(p => p.First.Span.SequenceEqual(p.Second.Span));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Dropped a {Channel} request: {Error}")]
        public static partial void RequestRejected(ILogger logger, MessageChannel channel, WireError error);

        [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Handling `{MsgType}` failed")]
        public static partial void HandlerFailed(ILogger logger, string msgType, Exception exception);
    }
}

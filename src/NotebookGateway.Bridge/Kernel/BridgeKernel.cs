using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NotebookGateway.Bridge.Gateway;
using NotebookGateway.Jupyter.Connection;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Bridge.Kernel;

/// <summary>
/// A kernel as a Jupyter tool sees it (the five ZMQ channels of the connection file the tool wrote), backed by a
/// sandboxed kernel on the gateway reached over one channels websocket. Every message is relayed both ways: the
/// tool's are verified with the local key and sent unsigned (the gateway signs for its clients); the gateway's are
/// signed with the local key. Replies and input requests go back to the socket identity that sent the request.
/// </summary>
/// <remarks>
/// Handled here rather than relayed: <c>shutdown_request</c> (restart false: the remote kernel is deleted; true: it is
/// kept for the next bridge process, which restarts it), <c>interrupt_request</c> and SIGINT (both the REST interrupt),
/// heartbeats (echoed while the remote kernel is starting, running or being reconnected to, never once it is dead or
/// gone). When the gateway cannot give a kernel, every request gets a local answer carrying the gateway's message.
/// Nothing the remote side sends can block the relay: iopub is a PUB socket and replies go through ROUTER sockets,
/// both of which drop rather than wait, and every frame is bounded.
/// </remarks>
public sealed partial class BridgeKernel : IAsyncDisposable
{
    private readonly GatewayClient _gateway;
    private readonly BridgeKernelOptions _options;
    private readonly RestartHandoff _handoff;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ToolSockets _tool;
    private readonly RequestRoutes _routes;
    private readonly LocalReplies _local;
    private readonly Channel<Outgoing> _outbox;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _sessionId = Guid.NewGuid().ToString("N");
    private readonly Lock _stateLock = new();
    /// <summary>One websocket send at a time, in order: the outbox drain and the direct path take it.</summary>
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly List<Task> _loops = [];
    private TaskCompletionSource<GatewaySocket?> _socketReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GatewaySocket? _socket;
    private BridgeState _state = BridgeState.Starting;
    private string? _problem;
    private string? _kernelId;
    private int _disposed;

    private BridgeKernel(ConnectionInfo connection, string connectionFile, GatewayClient gateway, BridgeKernelOptions options, ILogger logger, TimeProvider time)
    {
        _gateway = gateway;
        _options = options;
        _logger = logger;
        _time = time;
        _handoff = new RestartHandoff(connectionFile, connection.Key);
        _routes = new RequestRoutes(options.MaxPendingRequests);
        _local = new LocalReplies(_sessionId, options.Language);
        _outbox = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(options.OutboxMessages)
        {
            SingleReader = false, // the sender loop, and AnswerPending when the kernel is lost
            AllowSynchronousContinuations = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the request is answered locally
        });
        _tool = new ToolSockets(connection, options.MaxMessageBytes, logger);
    }

    /// <summary>The bridge's state (for tests and logs).</summary>
    public BridgeState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>The gateway kernel's id once started (or adopted).</summary>
    public string? KernelId => Volatile.Read(ref _kernelId);

    /// <summary>Completes with the process exit code once the bridge has finished (shutdown, signal, kernel lost).</summary>
    public Task<int> Exit => _exit.Task;

    /// <summary>Binds the tool's five channels, then starts (or adopts) the gateway kernel in the background.</summary>
    /// <param name="startupProblem">A problem found before the gateway was asked (an unreadable token file): the bridge
    /// starts in the failed state and answers every request with it.</param>
    public static async Task<BridgeKernel> StartAsync(ConnectionInfo connection, string connectionFile, GatewayClient gateway, BridgeKernelOptions options,
        ILogger logger, string? startupProblem = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var kernel = new BridgeKernel(connection, connectionFile, gateway, options, logger, time ?? TimeProvider.System);
        try
        {
            await kernel.BindAsync().ConfigureAwait(false);
        }
        catch
        {
            await kernel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        RestartHandoff.SweepStale(Path.GetDirectoryName(Path.GetFullPath(connectionFile)) ?? "/");
        if (startupProblem is not null)
        {
            kernel.Fail(startupProblem);
        }
        else
        {
            kernel.Track(kernel.ConnectRemoteAsync());
        }
        return kernel;
    }

    /// <summary>SIGINT (interrupt_mode signal): interrupts the remote kernel.</summary>
    public void OnInterruptSignal() => _ = InterruptRemoteAsync(null);

    /// <summary>
    /// SIGTERM, or the tool that started the kernel is gone: the remote kernel is deleted and the bridge exits. Ignored
    /// while a shutdown is already under way (jupyter_client sends SIGTERM to a kernel slow to exit after a restart).
    /// </summary>
    public Task TerminateAsync(string reason) => StopAsync(reason, deleteRemote: true, exitCode: 0);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _outbox.Writer.TryComplete();
        GatewaySocket? socket = TakeSocket();
        if (socket is not null)
        {
            await socket.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        await _tool.DisposeAsync().ConfigureAwait(false);
        Task[] loops;
        lock (_stateLock)
        {
            loops = [.. _loops];
        }
        try
        {
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or ObjectDisposedException or WebSocketException)
        {
        }
        if (socket is not null)
        {
            await socket.DisposeAsync().ConfigureAwait(false);
        }
        _exit.TrySetResult(0);
        _stopping.Dispose();
        _sendLock.Dispose();
    }

    private async Task BindAsync()
    {
        await _tool.BindAsync().ConfigureAwait(false);
        foreach (MessageChannel channel in new[] { MessageChannel.Shell, MessageChannel.Control, MessageChannel.Stdin })
        {
            Track(_tool.ServeAsync(channel, HandleFromToolAsync, _stopping.Token));
        }
        // Heartbeats are echoed while the remote kernel is starting, running, being reconnected to (or failed: the tool
        // must stay up to show the gateway's message), never once it is dead or gone.
        Track(_tool.EchoHeartbeatAsync(() => State is BridgeState.Starting or BridgeState.Running or BridgeState.Reconnecting or BridgeState.Failed, _stopping.Token));
        Track(SendToGatewayAsync());
        await _tool.PublishAsync(_local.Status(ExecutionStates.Starting, null)).ConfigureAwait(false);
    }

    private void Track(Task loop)
    {
        lock (_stateLock)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(loop);
        }
    }
}

using System.Threading.Channels;
using NotebookGateway.Bridge.Gateway;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;

namespace NotebookGateway.Bridge.Kernel;

// The remote kernel: starting or adopting it on the gateway, the websocket to it, the bridge's state, stopping.
public sealed partial class BridgeKernel
{
    // ---- the remote kernel ----

    private async Task ConnectRemoteAsync()
    {
        await Task.Yield();
        CancellationToken stopping = _stopping.Token;
        try
        {
            string kernelId = await AdoptOrStartAsync(stopping).ConfigureAwait(false);
            Volatile.Write(ref _kernelId, kernelId);
            _handoff.Save(kernelId, _gateway.BaseUrl, _options.SpecName);
            GatewaySocket socket;
            try
            {
                socket = await OpenSocketAsync(kernelId, stopping).ConfigureAwait(false);
            }
            catch (GatewayException)
            {
                await DeleteRemoteAsync(kernelId).ConfigureAwait(false); // started but unusable: do not leave it behind
                throw;
            }
            if (!Attach(socket, BridgeState.Starting))
            {
                await socket.DisposeAsync().ConfigureAwait(false); // stopped meanwhile
                return;
            }
            Log.Connected(_logger, kernelId, _options.SpecName, _gateway.BaseUrl);
        }
        catch (GatewayException ex)
        {
            Fail(ex.Message);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail($"The bridge could not keep its restart record beside the connection file ({ex.Message}).");
        }
    }

    /// <summary>
    /// The kernel a previous bridge process left for this connection (restarted: a new process means a fresh kernel to
    /// the tool), or a new one in the workspace with the lease.
    /// </summary>
    private async Task<string> AdoptOrStartAsync(CancellationToken cancellationToken)
    {
        if (_handoff.Load(_gateway.BaseUrl, _options.SpecName) is { } previous
            && await _gateway.GetKernelAsync(previous.KernelId, cancellationToken).ConfigureAwait(false) is not null)
        {
            try
            {
                await _gateway.RestartKernelAsync(previous.KernelId, _options.StartTimeout, cancellationToken).ConfigureAwait(false);
                Log.Adopted(_logger, previous.KernelId);
                return previous.KernelId;
            }
            catch (GatewayException ex) when (ex.Failure == GatewayFailure.NotFound)
            {
                // Gone between the two calls: start a new one.
            }
        }
        var env = new Dictionary<string, string>(_options.KernelEnvironment, StringComparer.Ordinal)
        {
            ["KERNEL_LEASE_SECONDS"] = _options.LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (_options.Workspace is not null)
        {
            env[WorkspaceNames.WorkspaceVariable] = _options.Workspace;
        }
        RemoteKernel kernel = await _gateway.StartKernelAsync(_options.SpecName, env, _options.StartTimeout, cancellationToken).ConfigureAwait(false);
        return kernel.Id;
    }

    private Task<GatewaySocket> OpenSocketAsync(string kernelId, CancellationToken cancellationToken) =>
        GatewaySocket.ConnectAsync(_gateway.ChannelsUrl(kernelId, _sessionId), _gateway.Token, _options.MaxMessageBytes,
            _options.RequestTimeout, _options.KeepAlive, cancellationToken);

    /// <summary>Makes <paramref name="socket"/> the current connection (from <paramref name="expected"/>) and starts reading it.</summary>
    private bool Attach(GatewaySocket socket, BridgeState expected)
    {
        lock (_stateLock)
        {
            if (_state != expected)
            {
                return false;
            }
            _socket = socket;
            _state = BridgeState.Running;
            _socketReady.TrySetResult(socket);
        }
        Track(ReceiveFromGatewayAsync(socket));
        return true;
    }

    private GatewaySocket? TakeSocket()
    {
        lock (_stateLock)
        {
            GatewaySocket? socket = _socket;
            _socket = null;
            if (_socketReady.Task.IsCompleted)
            {
                _socketReady = new TaskCompletionSource<GatewaySocket?>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            return socket;
        }
    }

    /// <summary>The gateway gave no kernel: say why once on stderr, and answer every request with it from now on.</summary>
    private void Fail(string problem)
    {
        lock (_stateLock)
        {
            if (_state is not (BridgeState.Starting or BridgeState.Running or BridgeState.Reconnecting))
            {
                return;
            }
            _state = BridgeState.Failed;
            _problem = problem;
            _socketReady.TrySetResult(null);
        }
        _handoff.Delete();
        Console.Error.WriteLine("NotebookGateway bridge: " + problem);
        AnswerPending(problem);
    }

    /// <summary>The remote kernel is dead or gone: heartbeats stop, requests get the reason, and the bridge exits so the tool sees a dead kernel.</summary>
    private void Lose(string problem)
    {
        lock (_stateLock)
        {
            if (_state is not (BridgeState.Running or BridgeState.Reconnecting))
            {
                return;
            }
            _state = BridgeState.Dead;
            _problem = problem;
            _socketReady.TrySetResult(null);
        }
        Console.Error.WriteLine("NotebookGateway bridge: " + problem);
        _ = ExitAfterAsync(_options.DeadExitDelay, 1);
    }

    private async Task ExitAfterAsync(TimeSpan delay, int code)
    {
        try
        {
            // Product behaviour, not synchronisation: the gateway's last replies for the dead kernel are relayed meanwhile.
            await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        AnswerPending(_problem ?? "the kernel is gone");
        _exit.TrySetResult(code);
    }

    private void AnswerPending(string problem)
    {
        while (_outbox.Reader.TryRead(out Outgoing queued))
        {
            _routes.Take(queued.Message.MsgId);
            _ = AnswerLocallyAsync(queued.Message, queued.Channel, problem);
        }
        foreach (Route route in _routes.TakeAll())
        {
            _ = AnswerLocallyAsync(route.Request, route.Channel, problem);
        }
    }

    private async Task StopAsync(string reason, bool deleteRemote, int exitCode)
    {
        lock (_stateLock)
        {
            if (_state == BridgeState.Stopping)
            {
                return;
            }
            _state = BridgeState.Stopping;
            _socketReady.TrySetResult(null);
        }
        Log.Stopping(_logger, reason);
        GatewaySocket? socket = TakeSocket();
        if (socket is not null)
        {
            await socket.CloseAsync(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
        }
        if (deleteRemote)
        {
            if (KernelId is { } id)
            {
                await DeleteRemoteAsync(id).ConfigureAwait(false);
            }
            _handoff.Delete();
        }
        _exit.TrySetResult(exitCode);
    }

    private async Task DeleteRemoteAsync(string kernelId)
    {
        try
        {
            await _gateway.DeleteKernelAsync(kernelId, _options.ShutdownTimeout, CancellationToken.None).ConfigureAwait(false);
            Log.Deleted(_logger, kernelId);
        }
        catch (GatewayException ex)
        {
            // The gateway finishes a deletion it has received; otherwise the lease removes the kernel.
            Log.DeleteFailed(_logger, kernelId, ex.Message);
        }
    }

    private async Task InterruptRemoteAsync(JupyterMessage? request)
    {
        string? error = null;
        if (KernelId is { } id && State is BridgeState.Running or BridgeState.Reconnecting)
        {
            try
            {
                await _gateway.InterruptKernelAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (GatewayException ex) when (State is BridgeState.Stopping or BridgeState.Dead)
            {
                error = ex.Message; // jupyter_client interrupts before every shutdown: the kernel may be gone already
            }
            catch (GatewayException ex)
            {
                error = ex.Message;
                Log.InterruptFailed(_logger, ex.Message);
            }
        }
        if (request is not null)
        {
            await _tool.SendReplyAsync(MessageChannel.Control, _local.InterruptReply(request, error)).ConfigureAwait(false);
        }
    }
}

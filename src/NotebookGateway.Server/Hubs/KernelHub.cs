using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using NotebookGateway.Jupyter.Envelope;
using NotebookGateway.Jupyter.Messages;
using NotebookGateway.Jupyter.Messages.Shell;
using NotebookGateway.Jupyter.Messages.Stdin;
using NotebookGateway.Jupyter.WebSocket;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Relay;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Hubs;

/// <summary>
/// The SignalR hub at <c>{BaseUrl}hubs/kernels</c>: the same kernels, rules and client sessions as the REST API and
/// the <c>/api/kernels/{id}/channels</c> websocket (everything goes through <see cref="KernelChannels"/>), for web
/// pages that embed runnable cells. A <c>clientId</c> plays the role of the websocket's <c>session_id</c>: the key of
/// a buffering client session that a reconnecting client re-subscribes to. Another user's kernel does not exist here.
/// </summary>
public sealed partial class KernelHub(
    GatewayKernelRegistry kernels,
    KernelStarter starter,
    KernelSpecCatalog catalog,
    KernelSpecAccess specAccess,
    GatewayRateLimiter rateLimiter,
    IOptions<GatewayOptions> gatewayOptions,
    WebSocketMessageCodec codec,
    HubMetrics metrics,
    ILogger<KernelHub> logger) : Hub
{
    /// <summary>Longest accepted clientId and session path.</summary>
    public const int MaxIdLength = 256;

    /// <summary>Key of the connection's rate-limiter lease in <see cref="HubCallerContext.Items"/>.</summary>
    private static readonly object s_connectionLease = new();

    /// <summary>A hub connection counts against the owner's websocket limits like a channels websocket.</summary>
    public override Task OnConnectedAsync()
    {
        if (rateLimiter.TryOpenWebSocket(CurrentUser(), out IDisposable? lease) is { } limited)
        {
            throw new HubException(limited.Message);
        }
        Context.Items[s_connectionLease] = lease;
        metrics.Connections.Add(1);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.Remove(s_connectionLease, out object? lease))
        {
            (lease as IDisposable)?.Dispose();
        }
        else
        {
            return Task.CompletedTask; // refused in OnConnectedAsync: never counted
        }
        // Streams end with the connection; each one detaches its client session, which keeps buffering for a reconnect.
        metrics.Connections.Add(-1);
        return Task.CompletedTask;
    }

    /// <summary>The body of GET /api/kernelspecs.</summary>
    public async Task<JsonElement> ListKernelSpecs()
    {
        KernelSpecsModel model = await KernelSpecEndpoints.ListAsync(catalog, specAccess, CurrentUser(), gatewayOptions.Value, Context.ConnectionAborted);
        return JsonSerializer.SerializeToElement(model, ApiModelsJsonContext.Default.KernelSpecsModel);
    }

    /// <summary>
    /// A plain kernel (as POST /api/kernels), or with <c>session</c> the caller's notebook session of that path: its kernel
    /// when alive (<c>attached</c>), otherwise a new kernel in that session's workspace (as POST /api/sessions).
    /// </summary>
    public async Task<StartKernelResult> StartKernel(StartKernelOptions? options)
    {
        string user = CurrentUser();
        string specName = options?.KernelName is { Length: > 0 } name ? name : gatewayOptions.Value.DefaultKernelName;
        CancellationToken aborted = Context.ConnectionAborted;
        if (options?.Session is not { } path)
        {
            (GatewayKernel? kernel, StartFailure? failure) = await starter.StartKernelAsync(new KernelStartRequest { SpecName = specName }, user, aborted);
            ThrowIfFailed(failure);
            Log.KernelStarted(logger, kernel!.Id, user);
            return new StartKernelResult(kernel.Id, kernel.Sandbox.Spec.Name, null, Attached: false);
        }
        if (path.Length is 0 or > MaxIdLength)
        {
            throw new HubException($"'session' must be 1-{MaxIdLength} characters.");
        }
        (SessionRecord? session, bool created, StartFailure? sessionFailure) = await starter.CreateSessionAsync(new NewSession(path, "", "notebook", specName), user, aborted);
        ThrowIfFailed(sessionFailure);
        if (!created && session!.KernelId is { } ownId && kernels.TryGet(ownId, user, out GatewayKernel own) && own.Sandbox.Spec.Name != specName)
        {
            // A page that mixes languages: one kernel per language, all in the session's workspace.
            return await CompanionKernelAsync(session, specName, user, aborted);
        }
        if (!created && session!.KernelId is { } existingId && kernels.TryGet(existingId, user, out GatewayKernel existing) && IsAlive(existing))
        {
            return new StartKernelResult(existing.Id, existing.Sandbox.Spec.Name, session.Id, Attached: true);
        }
        GatewayKernel sessionKernel;
        if (created)
        {
            sessionKernel = FindKernel(session!.KernelId!);
        }
        else
        {
            // The session outlived its kernel (it died or was shut down): a new one in the same workspace.
            (GatewayKernel? replacement, StartFailure? failure) = await starter.ReplaceSessionKernelAsync(session!, specName, user, aborted);
            ThrowIfFailed(failure);
            sessionKernel = replacement!;
        }
        Log.KernelStarted(logger, sessionKernel.Id, user);
        return new StartKernelResult(sessionKernel.Id, sessionKernel.Sandbox.Spec.Name, session!.Id, Attached: false);
    }

    /// <summary>The session's kernel of <paramref name="specName"/> beside its own: reused while alive, else started.</summary>
    private async Task<StartKernelResult> CompanionKernelAsync(SessionRecord session, string specName, string user, CancellationToken aborted)
    {
        if (session.Companions.TryGetValue(specName, out string? companionId) && kernels.TryGet(companionId, user, out GatewayKernel companion) && IsAlive(companion))
        {
            return new StartKernelResult(companion.Id, specName, session.Id, Attached: true);
        }
        (GatewayKernel? started, StartFailure? failure) = await starter.StartCompanionKernelAsync(session, specName, user, aborted);
        ThrowIfFailed(failure);
        Log.KernelStarted(logger, started!.Id, user);
        return new StartKernelResult(started.Id, specName, session.Id, Attached: false);
    }

    /// <summary>
    /// The kernel's messages for this client, as Jupyter websocket JSON: iopub of every cell, and the replies and stdin of
    /// this client's requests. A newer Subscribe with the same clientId replaces this stream and first gets what was
    /// buffered while none was attached.
    /// </summary>
    public async IAsyncEnumerable<string> Subscribe(string kernelId, string clientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        GatewayKernel kernel = FindKernel(kernelId);
        RequireClientId(clientId);
        using var connection = new HubClientConnection();
        ClientSession session = await kernel.Channels.AttachAsync(clientId, connection);
        metrics.Streams.Add(1);
        try
        {
            await foreach (string message in connection.ReadAsync(session, cancellationToken))
            {
                yield return message;
            }
        }
        finally
        {
            metrics.Streams.Add(-1);
            kernel.Channels.Detach(session, connection);
        }
    }

    /// <summary>Sends an execute_request for this client and returns its msg_id (the parent of its outputs).</summary>
    public async Task<string> Execute(string kernelId, string clientId, string code, ExecuteOptions? options)
    {
        GatewayKernel kernel = FindRunningKernel(kernelId);
        RequireClientId(clientId);
        options ??= new ExecuteOptions();
        var content = new ExecuteRequest(storeHistory: options.StoreHistory, allowStdin: options.AllowStdin, stopOnError: options.StopOnError)
        {
            Code = code ?? "",
            Silent = options.Silent,
        };
        JupyterMessage request = JupyterMessage.Create(MessageTypes.ExecuteRequest, MessageContentTypes.Serialize(content), clientId, CurrentUser());
        await kernel.Channels.SendFromClientAsync(kernel.Channels.GetOrAddSession(clientId), request, MessageChannel.Shell, Context.ConnectionAborted);
        return request.MsgId;
    }

    /// <summary>Answers the input_request this client received last.</summary>
    public async Task InputReply(string kernelId, string clientId, string value)
    {
        GatewayKernel kernel = FindRunningKernel(kernelId);
        RequireClientId(clientId);
        ClientSession session = kernel.Channels.GetOrAddSession(clientId);
        JupyterMessage pending = session.PendingInputRequest
            ?? throw new HubException("No input_request is waiting for an answer from this client.");
        JupyterMessage reply = JupyterMessage.Create(MessageTypes.InputReply, MessageContentTypes.Serialize(new InputReply { Value = value ?? "" }),
            clientId, CurrentUser(), parent: pending).WithIdentities([]);
        await kernel.Channels.SendFromClientAsync(session, reply, MessageChannel.Stdin, Context.ConnectionAborted);
        session.ClearPendingInputRequest(pending);
    }

    /// <summary>Relays a client message in the websocket JSON format (complete, inspect, comm_msg, ...), validated as on the websocket.</summary>
    public async Task Send(string kernelId, string clientId, string message)
    {
        GatewayKernel kernel = FindRunningKernel(kernelId);
        RequireClientId(clientId);
        WebSocketDecodeResult decoded = codec.Decode(WebSocketFrame.Text(Encoding.UTF8.GetBytes(message ?? "")), WebSocketProtocol.Json);
        if (!decoded.Success)
        {
            throw new HubException($"Message refused: {decoded.Error}.");
        }
        if (decoded.Channel is MessageChannel.IOPub or MessageChannel.Heartbeat)
        {
            throw new HubException($"Message refused: clients cannot send on the {decoded.Channel} channel.");
        }
        await kernel.Channels.SendFromClientAsync(kernel.Channels.GetOrAddSession(clientId), decoded.Message!, decoded.Channel, Context.ConnectionAborted);
    }

    public async Task Interrupt(string kernelId)
    {
        GatewayKernel kernel = FindKernel(kernelId);
        try
        {
            await kernels.InterruptAsync(kernel, Context.ConnectionAborted);
        }
        catch (InvalidOperationException ex)
        {
            throw new HubException(ex.Message);
        }
    }

    /// <summary>Completes when the new kernel answered kernel_info (the stream sees status restarting, then the new kernel's output).</summary>
    public async Task Restart(string kernelId)
    {
        GatewayKernel kernel = FindKernel(kernelId);
        try
        {
            await kernels.RestartAsync(kernel, Context.ConnectionAborted);
        }
        catch (KernelLaunchException ex)
        {
            throw new HubException("Exception restarting kernel: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            throw new HubException(ex.Message);
        }
    }

    /// <summary>Shuts the kernel down; every stream on it completes.</summary>
    public async Task Shutdown(string kernelId)
    {
        GatewayKernel kernel = FindKernel(kernelId);
        await kernels.ShutdownAsync(kernel, CancellationToken.None);
    }

    private string CurrentUser() =>
        Context.User?.FindFirst(GatewayUser.ClaimType)?.Value ?? throw new HubException("The connection is not authenticated.");

    private GatewayKernel FindKernel(string kernelId)
    {
        if (kernelId is null || !kernels.TryGet(kernelId, CurrentUser(), out GatewayKernel kernel))
        {
            throw new HubException($"Kernel '{kernelId}' not found");
        }
        return kernel;
    }

    /// <summary>A kernel that can take a request now (not starting, restarting or dead): a request is refused rather than silently dropped.</summary>
    private GatewayKernel FindRunningKernel(string kernelId)
    {
        GatewayKernel kernel = FindKernel(kernelId);
        if (kernel.Sandbox.State != SandboxKernelState.Running)
        {
            throw new HubException($"Kernel '{kernelId}' is {kernel.ExecutionState}: restart it or wait until it is idle.");
        }
        return kernel;
    }

    private static bool IsAlive(GatewayKernel kernel) =>
        kernel.Sandbox.State is SandboxKernelState.Starting or SandboxKernelState.Running or SandboxKernelState.Restarting;

    private static void RequireClientId(string clientId)
    {
        if (clientId is not { Length: > 0 and <= MaxIdLength })
        {
            throw new HubException($"'clientId' must be 1-{MaxIdLength} characters.");
        }
    }

    private static void ThrowIfFailed(StartFailure? failure)
    {
        if (failure is not null)
        {
            throw new HubException(failure.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Hub: kernel `{KernelId}` started for `{User}`")]
        public static partial void KernelStarted(ILogger logger, string kernelId, string user);
    }
}

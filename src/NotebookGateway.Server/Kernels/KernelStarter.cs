using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.RateLimiting;

namespace NotebookGateway.Server.Kernels;

/// <summary>Why a start was refused: Kernel Gateway's status code and the human text (the same for REST and the hub).</summary>
public sealed record StartFailure(int StatusCode, string Reason, string Message, RateLimitRefusal? RateLimit = null);

/// <summary>What <see cref="KernelStarter.CreateSessionAsync"/> needs from POST /api/sessions.</summary>
public sealed record NewSession(string Path, string Name, string Type, string SpecName);

/// <summary>
/// Starting kernels and notebook sessions, shared by the REST endpoints and the SignalR hub so both apply the same
/// quotas, timeouts and failure texts.
/// </summary>
public sealed class KernelStarter(GatewayKernelRegistry kernels, SessionStore sessions, KernelQuotas quotas, IOptions<GatewayOptions> options)
{
    /// <summary>Starts a kernel; failures carry Kernel Gateway's status codes (an unknown spec is 404, not 500).</summary>
    public async Task<(GatewayKernel? Kernel, StartFailure? Failure)> StartKernelAsync(KernelStartRequest request, string user, CancellationToken aborted)
    {
        int timeoutSeconds = options.Value.KernelStartTimeoutSeconds;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            GatewayKernel started = await kernels.StartAsync(request, user, timeout.Token);
            if (aborted.IsCancellationRequested)
            {
                // The client gave up after the last point the start could be cancelled: nobody will learn this kernel's id.
                await kernels.ShutdownAsync(started, CancellationToken.None);
                aborted.ThrowIfCancellationRequested();
            }
            return (started, null);
        }
        catch (KernelSpecNotFoundException)
        {
            return (null, new StartFailure(StatusCodes.Status404NotFound, "Not Found", $"Kernel spec {request.SpecName} not found"));
        }
        catch (QuotaExceededException ex)
        {
            return (null, new StartFailure(StatusCodes.Status403Forbidden, "Forbidden", ex.Message));
        }
        catch (KernelSpecAccessDeniedException ex)
        {
            return (null, new StartFailure(StatusCodes.Status403Forbidden, "Forbidden", ex.Message));
        }
        catch (RateLimitExceededException ex)
        {
            return (null, new StartFailure(StatusCodes.Status429TooManyRequests, "Too Many Requests", ex.Refusal.Message, ex.Refusal));
        }
        catch (SandboxSelfTestException ex)
        {
            return (null, new StartFailure(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", ex.Message));
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return (null, new StartFailure(StatusCodes.Status504GatewayTimeout, "Gateway Timeout", $"The kernel did not start within {timeoutSeconds} s."));
        }
        catch (KernelLaunchException ex)
        {
            return (null, new StartFailure(StatusCodes.Status500InternalServerError, "Internal Server Error", ex.Message));
        }
        catch (ArgumentException ex)
        {
            return (null, new StartFailure(StatusCodes.Status400BadRequest, "Bad Request", ex.Message));
        }
    }

    /// <summary>
    /// POST /api/sessions: the user's session with this path if there is one (<c>Created</c> false), otherwise a new
    /// session with its own workspace and a kernel running in it.
    /// </summary>
    public async Task<(SessionRecord? Session, bool Created, StartFailure? Failure)> CreateSessionAsync(NewSession request, string user, CancellationToken aborted)
    {
        if (sessions.FindByPath(user, request.Path) is { } existing)
        {
            return (existing, false, null);
        }
        string id = Guid.NewGuid().ToString();
        var session = new SessionRecord
        {
            Id = id,
            Owner = user,
            Path = request.Path,
            Name = request.Name,
            Type = request.Type,
            WorkspaceKey = "s-" + id.Replace("-", "", StringComparison.Ordinal),
        };
        if (quotas.TryReserveSession(id, user) is { } refusal)
        {
            return (null, false, new StartFailure(StatusCodes.Status403Forbidden, "Forbidden", refusal));
        }
        (GatewayKernel? kernel, StartFailure? failure) = await StartKernelAsync(
            new KernelStartRequest { SpecName = request.SpecName, SessionId = session.WorkspaceKey }, user, aborted);
        if (failure is not null)
        {
            quotas.ReleaseSession(id);
            try
            {
                await kernels.EndWorkspaceAsync(session.WorkspaceKey, CancellationToken.None); // a failed start leaves no workspace behind
            }
            catch (SandboxSelfTestException)
            {
                // Sandboxes are refused altogether: nothing was created, and the failure says why.
            }
            return (null, false, failure);
        }
        session.KernelId = kernel!.Id;
        SessionRecord stored = sessions.AddOrGetExisting(session);
        if (!ReferenceEquals(stored, session))
        {
            quotas.ReleaseSession(id);
            await kernels.ShutdownAsync(kernel, CancellationToken.None); // lost a race for the same path
            return (stored, false, null);
        }
        return (stored, true, null);
    }

    /// <summary>
    /// A kernel of another language in the session's workspace, beside the session's own kernel (it does not replace
    /// it): files written by one are read by the other. Recorded in <see cref="SessionRecord.Companions"/>.
    /// </summary>
    public async Task<(GatewayKernel? Kernel, StartFailure? Failure)> StartCompanionKernelAsync(SessionRecord session, string specName, string user, CancellationToken aborted)
    {
        (GatewayKernel? started, StartFailure? failure) = await StartKernelAsync(
            new KernelStartRequest { SpecName = specName, SessionId = session.WorkspaceKey }, user, aborted);
        if (started is not null)
        {
            session.Companions[specName] = started.Id;
            sessions.Save(session);
        }
        return (started, failure);
    }

    /// <summary>A change of kernel (PATCH kernel.name): the new one runs in the session's workspace, the old one goes.</summary>
    public async Task<(GatewayKernel? Kernel, StartFailure? Failure)> ReplaceSessionKernelAsync(SessionRecord session, string specName, string user, CancellationToken aborted)
    {
        (GatewayKernel? started, StartFailure? failure) = await StartKernelAsync(
            new KernelStartRequest { SpecName = specName, SessionId = session.WorkspaceKey }, user, aborted);
        if (failure is not null)
        {
            return (null, failure);
        }
        if (session.KernelId is { } old && kernels.TryGet(old, user, out GatewayKernel previous))
        {
            await kernels.ShutdownAsync(previous, CancellationToken.None);
        }
        session.KernelId = started!.Id;
        sessions.Save(session);
        return (started, null);
    }
}

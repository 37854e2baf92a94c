using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Quotas;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Api;

/// <summary><c>/api/kernels</c>: Kernel Gateway's status codes and shapes; errors are <c>{reason, message}</c>.</summary>
public static class KernelEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/kernels", (HttpContext context, GatewayKernelRegistry kernels, IOptions<GatewayOptions> options) =>
            options.Value.ListKernels
                ? Results.Json(kernels.List(GatewayUser.Get(context)).Select(KernelModel.From).ToList(), ApiModelsJsonContext.Default.ListKernelModel)
                : JsonErrors.Create(StatusCodes.Status403Forbidden, "Forbidden", "Listing kernels is disabled (Gateway:ListKernels)."));

        app.MapPost("/api/kernels", async (HttpContext context, KernelStarter starter, IOptions<GatewayOptions> options, KernelLeases leases) =>
        {
            (JsonElement body, IResult? error) = await RequestBodies.ReadObjectAsync(context.Request);
            if (error is not null || !RequestBodies.TryGetString(body, "name", out string? name, out error))
            {
                return error!;
            }
            (Dictionary<string, string> env, IResult? envError) = KernelEnvironmentPolicy.Filter(body, options.Value.EnvAllowList);
            if (envError is not null)
            {
                return envError;
            }
            string user = GatewayUser.Get(context);
            string? workspace = null;
            if (env.Remove(KernelEnvironmentPolicy.WorkspaceVariable, out string? workspaceName))
            {
                if (!KernelEnvironmentPolicy.IsValidWorkspaceName(workspaceName))
                {
                    return RequestBodies.BadRequest($"'{KernelEnvironmentPolicy.WorkspaceVariable}' must be 1-64 letters, digits, '.', '_' or '-'.");
                }
                workspace = WorkspaceKey(user, workspaceName);
            }
            int leaseSeconds = 0;
            if (env.Remove(KernelLeases.Variable, out string? leaseText) && leases.Parse(leaseText, out leaseSeconds) is { } badLease)
            {
                return RequestBodies.BadRequest(badLease);
            }
            (GatewayKernel? kernel, StartFailure? failure) = await starter.StartKernelAsync(new KernelStartRequest
            {
                SpecName = string.IsNullOrEmpty(name) ? options.Value.DefaultKernelName : name,
                SessionId = workspace,
                Environment = env,
            }, user, context.RequestAborted);
            if (failure is not null)
            {
                return failure.ToResult();
            }
            if (leaseSeconds > 0)
            {
                leases.Hold(kernel!.Id, leaseSeconds);
            }
            context.Response.Headers.Location = $"{options.Value.BaseUrl}api/kernels/{kernel!.Id}";
            return Results.Json(KernelModel.From(kernel), ApiModelsJsonContext.Default.KernelModel, statusCode: StatusCodes.Status201Created);
        });

        app.MapGet("/api/kernels/{kernelId}", (string kernelId, HttpContext context, GatewayKernelRegistry kernels) =>
            kernels.TryGet(kernelId, GatewayUser.Get(context), out GatewayKernel kernel)
                ? Results.Json(KernelModel.From(kernel), ApiModelsJsonContext.Default.KernelModel)
                : NotFound(kernelId));

        app.MapDelete("/api/kernels/{kernelId}", async (string kernelId, HttpContext context, GatewayKernelRegistry kernels) =>
        {
            if (!kernels.TryGet(kernelId, GatewayUser.Get(context), out GatewayKernel kernel))
            {
                return NotFound(kernelId);
            }
            await kernels.ShutdownAsync(kernel, CancellationToken.None);
            return Results.NoContent();
        });

        app.MapPost("/api/kernels/{kernelId}/interrupt", async (string kernelId, HttpContext context, GatewayKernelRegistry kernels) =>
        {
            if (!kernels.TryGet(kernelId, GatewayUser.Get(context), out GatewayKernel kernel))
            {
                return NotFound(kernelId);
            }
            try
            {
                await kernels.InterruptAsync(kernel, context.RequestAborted);
            }
            catch (InvalidOperationException ex)
            {
                return JsonErrors.Create(StatusCodes.Status409Conflict, "Conflict", ex.Message);
            }
            return Results.NoContent();
        });

        app.MapPost("/api/kernels/{kernelId}/restart", async (string kernelId, HttpContext context, GatewayKernelRegistry kernels) =>
        {
            if (!kernels.TryGet(kernelId, GatewayUser.Get(context), out GatewayKernel kernel))
            {
                return NotFound(kernelId);
            }
            try
            {
                await kernels.RestartAsync(kernel, context.RequestAborted);
            }
            catch (KernelLaunchException ex)
            {
                return JsonErrors.Create(StatusCodes.Status500InternalServerError, "Internal Server Error", "Exception restarting kernel: " + ex.Message);
            }
            return Results.Json(KernelModel.From(kernel), ApiModelsJsonContext.Default.KernelModel);
        });
    }

    /// <summary>A user's named workspace; two users naming the same workspace never share it.</summary>
    public static string WorkspaceKey(string user, string name) =>
        "ws-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(user + "\0" + name)))[..32];

    public static IResult NotFound(string kernelId) =>
        JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found", $"Kernel does not exist: {kernelId}");
}

using System.Globalization;
using Microsoft.Extensions.Options;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Kernels;
using NotebookGateway.Server.Monitoring;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Api;

/// <summary>
/// Security timelines: <c>GET /api/kernels/{id}/events</c> for the kernel's owner (another user's kernel does not
/// exist for you, as everywhere in the API), and <c>GET /api/admin/events</c> across all kernels for the admin group.
/// </summary>
public static class SecurityEventEndpoints
{
    private const int MaxLimit = 10_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/kernels/{kernelId}/events", (string kernelId, HttpContext context, GatewayKernelRegistry kernels, SecurityTimeline timeline) =>
        {
            string user = GatewayUser.Get(context);
            if (ParseLimit(context) is not { } limit)
            {
                return BadLimit();
            }
            // A kernel that is gone keeps its timeline for its owner while the events are still held.
            IReadOnlyList<SecurityEvent> events = timeline.Query(kernelId: kernelId, user: user, limit: limit);
            return kernels.TryGet(kernelId, user, out _) || events.Count > 0
                ? Results.Json(events.ToList(), ApiModelsJsonContext.Default.ListSecurityEvent)
                : JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found", $"Kernel does not exist: {kernelId}");
        });

        app.MapGet("/api/admin/events", (HttpContext context, KernelSpecAccess access, IOptions<MonitoringOptions> options, SecurityTimeline timeline) =>
        {
            string user = GatewayUser.Get(context);
            if (!access.GroupsOf(user).Contains(options.Value.AdminGroup, StringComparer.Ordinal))
            {
                return JsonErrors.Create(StatusCodes.Status403Forbidden, "Forbidden", $"Only users of the group '{options.Value.AdminGroup}' may read every kernel's events.");
            }
            if (ParseLimit(context) is not { } limit)
            {
                return BadLimit();
            }
            IQueryCollection query = context.Request.Query;
            IReadOnlyList<SecurityEvent> events = timeline.Query(kernelId: Filter(query, "kernel_id"), user: Filter(query, "user"), kind: Filter(query, "kind"), limit: limit);
            return Results.Json(events.ToList(), ApiModelsJsonContext.Default.ListSecurityEvent);
        });
    }

    private static string? Filter(IQueryCollection query, string name) => query.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value.ToString() : null;

    private static int? ParseLimit(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("limit", out var text) || string.IsNullOrEmpty(text))
        {
            return 1000;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int limit) && limit is >= 1 and <= MaxLimit ? limit : null;
    }

    private static IResult BadLimit() => RequestBodies.BadRequest($"'limit' must be a whole number between 1 and {MaxLimit}.");
}

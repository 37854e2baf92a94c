using NotebookGateway.Server.Api;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Hubs;

/// <summary>
/// The hub's origin rules (its own, independent of <c>Gateway:AllowOrigins</c>): requests without an Origin (non-browser
/// clients) and same-origin pages pass; an origin listed in <c>Hub:AllowOrigins</c> gets credentialed CORS headers and its
/// preflight is answered here; any other origin is refused with 403 (negotiate, long polling and websocket upgrades alike).
/// </summary>
public static class HubOrigins
{
    /// <summary>Path of the hub below the base URL.</summary>
    public const string Path = "/hubs/kernels";

    /// <summary>The request headers @microsoft/signalr sends cross-origin.</summary>
    public const string AllowHeaders = "authorization, content-type, x-requested-with, x-signalr-user-agent";

    public const string AllowMethods = "GET, POST, OPTIONS";

    public static OriginDecision Decide(HttpRequest request, KernelHubOptions options)
    {
        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin))
        {
            return OriginDecision.NoCorsNeeded;
        }
        if (OriginPolicy.IsSameOrigin(request, origin))
        {
            return OriginDecision.NoCorsNeeded;
        }
        return options.AllowOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase) ? OriginDecision.CrossOriginAllowed : OriginDecision.Refused;
    }

    /// <summary>Runs before the token check, so a refused origin never learns whether its token was good, and preflights need none.</summary>
    public static IApplicationBuilder UseHubOrigins(this IApplicationBuilder app, KernelHubOptions options, string basePath) => app.Use(async (context, next) =>
    {
        bool underBase = basePath.Length == 0 || context.Request.PathBase.HasValue;
        if (!options.Enabled || !underBase || !context.Request.Path.StartsWithSegments(Path))
        {
            await next(context);
            return;
        }
        switch (Decide(context.Request, options))
        {
            case OriginDecision.Refused:
                await JsonErrors.Create(StatusCodes.Status403Forbidden, "Forbidden", "This origin may not use the hub (Hub:AllowOrigins).").ExecuteAsync(context);
                return;
            case OriginDecision.CrossOriginAllowed:
                string origin = context.Request.Headers.Origin.ToString();
                // Set when the response starts, so the gateway-wide CORS headers (Gateway:AllowOrigins) cannot override them.
                context.Response.OnStarting(() =>
                {
                    IHeaderDictionary headers = context.Response.Headers;
                    headers.AccessControlAllowOrigin = origin;
                    headers.AccessControlAllowCredentials = "true";
                    headers.AccessControlAllowHeaders = AllowHeaders;
                    headers.AccessControlAllowMethods = AllowMethods;
                    headers.Vary = "Origin";
                    return Task.CompletedTask;
                });
                if (HttpMethods.IsOptions(context.Request.Method))
                {
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    return;
                }
                break;
        }
        await next(context);
    });
}

public enum OriginDecision
{
    /// <summary>No Origin header, or the gateway's own origin.</summary>
    NoCorsNeeded,

    /// <summary>An origin listed in Hub:AllowOrigins.</summary>
    CrossOriginAllowed,

    /// <summary>Any other origin.</summary>
    Refused,
}

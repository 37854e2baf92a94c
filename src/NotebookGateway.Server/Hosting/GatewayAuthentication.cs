using Microsoft.Extensions.Options;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Metrics;
using NotebookGateway.Server.RateLimiting;
using NotebookGateway.Server.Security;
using NotebookGateway.Server.Web;

namespace NotebookGateway.Server.Hosting;

/// <summary>
/// The gate every request passes: CORS headers, the base URL, preflights (no token), the public assets (no token),
/// then the token: an address that sent too many wrong tokens waits, a request without a valid token is 401 (an
/// anonymous scrape excepted), and the user the token belongs to is set for everything after.
/// </summary>
public sealed class GatewayAuthentication(
    TokenAuthentication tokens,
    BadTokenThrottle badTokens,
    IOptions<GatewayOptions> gatewayOptions,
    IOptions<MetricsOptions> metricsOptions) : IMiddleware
{
    private readonly GatewayOptions _gateway = gatewayOptions.Value;
    private readonly MetricsOptions _metrics = metricsOptions.Value;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        CorsHeaders.Apply(context, _gateway);
        if (_gateway.BaseUrl.TrimEnd('/').Length > 0 && !context.Request.PathBase.HasValue)
        {
            await JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found").ExecuteAsync(context);
            return;
        }
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        if (PublicAssets.IsPublic(context.Request))
        {
            await next(context); // the live-cells script and demo page: served by UsePublicAssets, nothing else
            return;
        }
        // An address that sent too many wrong tokens waits, whatever it presents now (token guessing).
        if (badTokens.Check(context.Connection.RemoteIpAddress) is { } throttled)
        {
            await throttled.ToResult().ExecuteAsync(context);
            return;
        }
        string? user = tokens.Authenticate(context.Request);
        if (user is null && TokenAuthentication.PresentedToken(context.Request) is not null)
        {
            badTokens.RecordFailure(context.Connection.RemoteIpAddress);
        }
        if (user is null && !MetricsEndpoints.IsAnonymousScrape(context, _metrics))
        {
            await JsonErrors.Create(StatusCodes.Status401Unauthorized, "Unauthorized").ExecuteAsync(context);
            return;
        }
        GatewayUser.Set(context, user ?? GatewayUser.DefaultName);
        await next(context);
    }
}

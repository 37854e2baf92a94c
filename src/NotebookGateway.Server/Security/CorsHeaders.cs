using NotebookGateway.Server.Configuration;

namespace NotebookGateway.Server.Security;

/// <summary>Kernel Gateway's CORS behaviour: configured headers on every response (401 included), OPTIONS answered without a token.</summary>
public static class CorsHeaders
{
    public static void Apply(HttpContext context, GatewayOptions options)
    {
        if (options.AllowOrigins.Count == 0)
        {
            return;
        }
        string? origin = context.Request.Headers.Origin;
        IHeaderDictionary headers = context.Response.Headers;
        if (options.AllowOrigins.Contains("*"))
        {
            headers.AccessControlAllowOrigin = "*";
        }
        else if (origin is not null && options.AllowOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            headers.AccessControlAllowOrigin = origin;
            headers.Vary = "Origin";
        }
        else
        {
            return;
        }
        headers.AccessControlAllowMethods = options.AllowMethods;
        headers.AccessControlAllowHeaders = options.AllowHeaders;
        headers.AccessControlExposeHeaders = options.ExposeHeaders;
        headers.AccessControlMaxAge = options.CorsMaxAgeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

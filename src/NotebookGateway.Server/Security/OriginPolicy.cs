using NotebookGateway.Server.Configuration;

namespace NotebookGateway.Server.Security;

/// <summary>
/// Websocket origin check: no Origin (non-browser clients), the same origin, or an origin in
/// <c>Gateway:AllowOrigins</c> (or <c>*</c>). Anything else is a cross-site websocket hijack attempt.
/// </summary>
public static class OriginPolicy
{
    public static bool IsAllowed(HttpRequest request, GatewayOptions options)
    {
        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin))
        {
            return true;
        }
        if (options.AllowOrigins.Contains("*") || options.AllowOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }
        return IsSameOrigin(request, origin);
    }

    /// <summary>Whether <paramref name="origin"/> names the host the request was sent to (a page of the gateway itself).</summary>
    public static bool IsSameOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}

using System.Net;
using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Configuration;

/// <summary>The <c>Gateway</c> section of gateway.json; every value can be overridden with <c>NBGW_Gateway__Name</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>host:port to listen on; loopback by default.</summary>
    public string Listen { get; set; } = "127.0.0.1:8888";

    /// <summary>Prefix of every route, with leading and trailing slash.</summary>
    public string BaseUrl { get; set; } = "/";

    /// <summary>The API token of the default user; empty = a random one is generated at start and printed.</summary>
    public string Token { get; set; } = "";

    /// <summary>The spec used when a client names none.</summary>
    public string DefaultKernelName { get; set; } = "python3";

    /// <summary>
    /// Whether GET on the kernel and session lists is allowed. Kernel Gateway's default is off because every client
    /// would see every kernel; here each user sees only their own, so it is on (JupyterLab polls these lists).
    /// </summary>
    public bool ListKernels { get; set; } = true;

    /// <summary>Client environment variables allowed besides <c>KERNEL_*</c>.</summary>
    public List<string> EnvAllowList { get; set; } = [];

    /// <summary>CORS: allowed origins (<c>*</c> for any); empty = no CORS headers and cross-origin websockets refused.</summary>
    public List<string> AllowOrigins { get; set; } = [];

    public string AllowMethods { get; set; } = "GET, POST, PATCH, DELETE, OPTIONS";

    public string AllowHeaders { get; set; } = "Authorization, Content-Type, X-XSRFToken, X-Requested-With";

    public string ExposeHeaders { get; set; } = "Location";

    public int CorsMaxAgeSeconds { get; set; } = 600;

    /// <summary>How long POST /api/kernels waits for a kernel to become ready.</summary>
    public int KernelStartTimeoutSeconds { get; set; } = 90;

    public IPEndPoint ListenEndPoint => IPEndPoint.Parse(Listen);
}

/// <summary>Collects every configuration error instead of stopping at the first.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (!IPEndPoint.TryParse(options.Listen, out IPEndPoint? endpoint) || endpoint.Port == 0)
        {
            errors.Add($"Gateway:Listen '{options.Listen}' is not host:port (for example 127.0.0.1:8888).");
        }
        if (!options.BaseUrl.StartsWith('/') || !options.BaseUrl.EndsWith('/'))
        {
            errors.Add($"Gateway:BaseUrl '{options.BaseUrl}' must start and end with '/'.");
        }
        if (options.Token.Length is > 0 and < 16)
        {
            errors.Add("Gateway:Token is shorter than 16 characters; leave it empty to have one generated.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

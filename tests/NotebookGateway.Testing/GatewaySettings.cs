namespace NotebookGateway.Testing;

/// <summary>
/// Configuration keys the tests set on the gateway (as <c>NBGW_</c> environment overrides), the names
/// <c>GatewayOptions</c> binds; if the server renames one, change it here only.
/// </summary>
public static class GatewaySettings
{
    public const string Listen = "Gateway:Listen";
    public const string Token = "Gateway:Token";
    public const string BaseUrl = "Gateway:BaseUrl";

    /// <summary>Enables GET /api/kernels and GET /api/sessions (403 otherwise), as KG's <c>list_kernels</c>.</summary>
    public const string ListKernels = "Gateway:ListKernels";

    /// <summary>A list: the first allowed origin (Kernel Gateway's <c>allow_origin</c>).</summary>
    public const string CorsAllowOrigin = "Gateway:AllowOrigins:0";
    public const string CorsAllowMethods = "Gateway:AllowMethods";
    public const string CorsAllowHeaders = "Gateway:AllowHeaders";
    public const string CorsExposeHeaders = "Gateway:ExposeHeaders";
    public const string CorsMaxAge = "Gateway:CorsMaxAgeSeconds";

    /// <summary>Isolation of one test gateway from any other gateway on the same Docker engine (the owner's orphan sweep).</summary>
    public const string SandboxOwner = "Sandbox:Owner";
    public const string SandboxSocketRoot = "Sandbox:SocketRoot";
    public const string SandboxWorkspaceRoot = "Sandbox:WorkspaceRoot";

    public const string SandboxStateRoot = "Sandbox:StateRoot";

    /// <summary>Configuration key → environment variable (<c>Gateway:Cors:AllowOrigin</c> → <c>NBGW_Gateway__Cors__AllowOrigin</c>).</summary>
    public static string EnvironmentVariable(string key) => "NBGW_" + key.Replace(":", "__", StringComparison.Ordinal);
}

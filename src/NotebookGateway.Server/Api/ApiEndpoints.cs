namespace NotebookGateway.Server.Api;

/// <summary>The Kernel Gateway REST API: <c>/api</c>, kernelspecs, kernels and sessions.</summary>
public static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api", () => Results.Json(new VersionBody(typeof(ApiEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.1.0"), ApiJsonContext.Default.VersionBody));
        KernelSpecEndpoints.Map(app);
        KernelEndpoints.Map(app);
        SessionEndpoints.Map(app);
        SecurityEventEndpoints.Map(app);
    }
}

using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Specs;
using NotebookGateway.Server.Access;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Security;

namespace NotebookGateway.Server.Api;

/// <summary><c>/api/kernelspecs</c> and the spec resource files (logos).</summary>
public static class KernelSpecEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // ?language=r keeps the specs of one language (case-insensitive), so a client can pick a kernel by language.
        app.MapGet("/api/kernelspecs", async (HttpContext context, KernelSpecCatalog catalog, KernelSpecAccess access, IOptions<GatewayOptions> options, string? language, CancellationToken ct) =>
            Results.Json(await ListAsync(catalog, access, GatewayUser.Get(context), options.Value, ct, language), ApiModelsJsonContext.Default.KernelSpecsModel));
        app.MapGet("/api/kernelspecs/{name}", async (string name, HttpContext context, KernelSpecCatalog catalog, KernelSpecAccess access, IOptions<GatewayOptions> options, CancellationToken ct) =>
        {
            try
            {
                if (!access.IsAllowed(GatewayUser.Get(context), name))
                {
                    throw new KernelSpecNotFoundException($"Kernel spec {name} is not available to this user."); // a spec you may not use is not listed, so it does not exist for you
                }
                KernelSpec spec = await catalog.GetAsync(name, ct);
                return Results.Json(ToModel(spec, options.Value.BaseUrl, access, GatewayUser.Get(context)), ApiModelsJsonContext.Default.KernelSpecModel);
            }
            catch (KernelSpecNotFoundException)
            {
                return JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found", $"Kernel spec {name} not found");
            }
        });
        app.MapMethods("/kernelspecs/{name}/{file}", [HttpMethods.Get, HttpMethods.Head], async (string name, string file, HttpContext context, KernelSpecCatalog catalog, KernelSpecAccess access, CancellationToken ct) =>
        {
            KernelSpec spec;
            try
            {
                if (!access.IsAllowed(GatewayUser.Get(context), name))
                {
                    throw new KernelSpecNotFoundException($"Kernel spec {name} is not available to this user.");
                }
                spec = await catalog.GetAsync(name, ct);
            }
            catch (KernelSpecNotFoundException)
            {
                return JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found", $"Kernel spec {name} not found");
            }
            // Only files the catalog listed (no path from the URL ever reaches the file system).
            if (!spec.Resources.TryGetValue(file, out string? path))
            {
                return JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found", $"Kernel spec {name} has no resource {file}");
            }
            if (file.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.CacheControl = "max-age=2592000";
            }
            return Results.File(path, ContentTypeOf(file));
        });
    }

    /// <summary>The GET /api/kernelspecs body (also the hub's ListKernelSpecs): only the specs <paramref name="user"/> may use.</summary>
    public static async Task<KernelSpecsModel> ListAsync(KernelSpecCatalog catalog, KernelSpecAccess access, string user, GatewayOptions options, CancellationToken cancellationToken, string? language = null)
    {
        // JupyterLab polls this list: a snapshot up to a few seconds old spares a Docker image inspect per spec per poll.
        KernelSpecSnapshot snapshot = await catalog.GetRecentAsync(TimeSpan.FromSeconds(5), cancellationToken);
        var models = snapshot.Available.Values
            .Where(s => access.IsAllowed(user, s.Name) && (string.IsNullOrEmpty(language) || string.Equals(s.Language, language, StringComparison.OrdinalIgnoreCase)))
            .ToDictionary(s => s.Name, s => ToModel(s, options.BaseUrl, access, user), StringComparer.Ordinal);
        string? defaultName = models.ContainsKey(options.DefaultKernelName) ? options.DefaultKernelName : models.Keys.Order(StringComparer.Ordinal).FirstOrDefault();
        return new KernelSpecsModel(defaultName, models);
    }

    /// <summary>The spec as <paramref name="user"/> sees it (the network policy is theirs).</summary>
    public static KernelSpecModel ToModel(KernelSpec spec, string baseUrl, KernelSpecAccess access, string user) => ToModel(spec, baseUrl, access.NetworkPolicyFor(user, spec), access);

    private static KernelSpecModel ToModel(KernelSpec spec, string baseUrl, string networkPolicy, KernelSpecAccess access) => new(
        spec.Name,
        new KernelSpecBody(spec.Argv, spec.Env, spec.DisplayName, spec.Language, spec.InterruptMode == Jupyter.Client.InterruptMode.Message ? "message" : "signal", spec.Metadata),
        spec.Resources.Keys.ToDictionary(
            file => Path.GetFileNameWithoutExtension(file),
            file => $"{baseUrl}kernelspecs/{Uri.EscapeDataString(spec.Name)}/{Uri.EscapeDataString(file)}",
            StringComparer.Ordinal),
        (System.Text.Json.Nodes.JsonObject?)spec.Verified?.LanguageInfo.DeepClone(),
        networkPolicy,
        access.NetworkPolicyDestinations(networkPolicy));

    private static string ContentTypeOf(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".svg" => "image/svg+xml",
        ".js" => "application/javascript",
        ".css" => "text/css",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}

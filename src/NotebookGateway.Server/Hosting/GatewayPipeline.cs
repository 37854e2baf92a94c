using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using NotebookGateway.Server.Api;
using NotebookGateway.Server.Configuration;
using NotebookGateway.Server.Hubs;
using NotebookGateway.Server.Logging;
using NotebookGateway.Server.Metrics;
using NotebookGateway.Server.Security;
using NotebookGateway.Server.Web;
using NotebookGateway.Server.WebSockets;

namespace NotebookGateway.Server.Hosting;

/// <summary>The gateway's host: configuration sources, listeners, the middleware pipeline, the endpoints and the start banner.</summary>
public static class GatewayPipeline
{
    /// <summary>
    /// gateway.json from the working directory (the repository root when started by scripts/up.sh) or <c>--config</c>,
    /// then <c>NBGW_</c> environment variables; logging per <c>Logging:Format</c>. Returns the file's full path.
    /// </summary>
    public static string AddGatewayConfiguration(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string configPath = Path.GetFullPath(builder.Configuration["config"] ?? "gateway.json");
        builder.Configuration.AddJsonFile(configPath, optional: false, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables("NBGW_");
        // Request lines carry ?token=: keep the framework's request logging out of the logs.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        ConsoleLogging.Apply(builder.Logging, builder.Configuration);
        return configPath;
    }

    /// <summary><c>Gateway:Listen</c>, and <c>127.0.0.1:Metrics:Port</c> (only <c>/metrics</c>) when it is set.</summary>
    public static void ListenAsConfigured(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            GatewayOptions gateway = kestrel.ApplicationServices.GetRequiredService<IOptions<GatewayOptions>>().Value;
            MetricsOptions metrics = kestrel.ApplicationServices.GetRequiredService<IOptions<MetricsOptions>>().Value;
            kestrel.Listen(gateway.ListenEndPoint);
            if (metrics.Enabled && metrics.Port > 0)
            {
                kestrel.Listen(System.Net.IPAddress.Loopback, metrics.Port); // serves only /metrics
            }
        });
    }

    /// <summary>Metrics, errors as JSON, the base URL, hub origins, authentication, public assets, routing, websockets.</summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        MetricsOptions metrics = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        app.UseGatewayMetrics(metrics);
        // Every error is {reason, message}; nothing about the exception reaches the client.
        app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            IExceptionHandlerFeature? feature = context.Features.Get<IExceptionHandlerFeature>();
            HostingLog.UnhandledError(app.Logger, context.Request.Path.Value ?? "", feature?.Error);
            await JsonErrors.Create(StatusCodes.Status500InternalServerError, "Internal Server Error", "Unknown server error").ExecuteAsync(context);
        }));
        string basePath = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.BaseUrl.TrimEnd('/');
        if (basePath.Length > 0)
        {
            app.UsePathBase(basePath);
        }
        app.UseHubOrigins(app.Services.GetRequiredService<IOptions<KernelHubOptions>>().Value, basePath);
        app.UseMiddleware<GatewayAuthentication>();
        app.UsePublicAssets();
        // Routing must run after UsePathBase, or no route matches under a base URL.
        app.UseRouting();
        app.UseWebSockets();
        app.UseWebSocketMetrics(metrics);
        return app;
    }

    /// <summary>The REST API, the channels websocket, the hub, /metrics, and JSON 404s for everything else.</summary>
    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        ApiEndpoints.Map(app);
        ChannelEndpoints.Map(app);
        app.MapKernelHub(app.Services.GetRequiredService<IOptions<KernelHubOptions>>().Value);
        app.MapMetrics(app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value);
        // "{*path}": the default fallback pattern skips file-like paths (/api/contents/a.ipynb), which must be JSON 404s too.
        app.MapFallback("{*path}", () => JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found"));
        return app;
    }

    /// <summary>Where the gateway listens and its token: on the console, or as a log entry with JSON logs (the token then to stderr).</summary>
    public static void PrintBanner(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        GatewayOptions gateway = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        string token = app.Services.GetRequiredService<TokenAuthentication>().Token;
        string url = $"http://{gateway.Listen}{gateway.BaseUrl}";
        if (ConsoleLogging.IsJson(app.Configuration))
        {
            // Stdout stays one JSON object per line, and the token never reaches a log shipper: a generated one goes to stderr.
            HostingLog.Listening(app.Logger, url);
            if (string.IsNullOrEmpty(gateway.Token))
            {
                Console.Error.WriteLine($"Token: {token}");
            }
            return;
        }
        Console.WriteLine($"NotebookGateway is listening on {url}");
        Console.WriteLine($"Token: {token}");
        Console.WriteLine($"Demo:  {url}demo/?token={token}");
        Console.WriteLine($"Try:   curl -H 'Authorization: token {token}' {url}api/kernelspecs");
    }
}

using Microsoft.Extensions.Options;

namespace NotebookGateway.Server.Metrics;

/// <summary>Wiring of the Prometheus endpoint and the HTTP instruments (§7 items 53–54).</summary>
public static class MetricsEndpoints
{
    public const string Path = "/metrics";

    /// <summary>The exporter and the HTTP instruments (options of section <c>Metrics</c>, bound by the host).</summary>
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton(sp => new HttpMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        return services;
    }

    /// <summary>Whether the auth middleware lets this request through without a token (RequireToken false).</summary>
    public static bool IsAnonymousScrape(HttpContext context, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled && !options.RequireToken && HttpMethods.IsGet(context.Request.Method) && context.Request.Path == Path;
    }

    /// <summary>
    /// The request-duration middleware; call first, before the exception handler, so every status is seen. With a
    /// separate metrics port, everything but <c>/metrics</c> on that port is a 404.
    /// </summary>
    public static WebApplication UseGatewayMetrics(this WebApplication app, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return app;
        }
        // Created now, so measurements from the start on are counted, not only from the first scrape.
        app.Services.GetRequiredService<PrometheusExporter>();
        HttpMetrics http = app.Services.GetRequiredService<HttpMetrics>();
        app.Use(http.MeasureRequestAsync);
        if (options.Port > 0)
        {
            app.Use(async (context, next) =>
            {
                if (context.Connection.LocalPort == options.Port && !context.Request.Path.Equals(Path, StringComparison.Ordinal))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }
                await next(context);
            });
        }
        return app;
    }

    /// <summary>Counts open websockets; call after <c>UseWebSockets</c>.</summary>
    public static WebApplication UseWebSocketMetrics(this WebApplication app, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Enabled)
        {
            app.Use(app.Services.GetRequiredService<HttpMetrics>().CountWebSocketAsync);
        }
        return app;
    }

    public static WebApplication MapMetrics(this WebApplication app, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Enabled)
        {
            app.MapGet(Path, (HttpContext context, PrometheusExporter exporter) =>
            {
                string text = exporter.Render();
                return Results.Text(text, PrometheusExporter.ContentType);
            });
        }
        return app;
    }
}

using Microsoft.Extensions.FileProviders;
using NotebookGateway.Server.Api;

namespace NotebookGateway.Server.Web;

/// <summary>
/// The only files served without a token: the embeddable live-cells script under <c>{BaseUrl}static/</c> and the demo
/// page under <c>{BaseUrl}demo/</c>, from the web root (<c>wwwroot/</c> next to the server's assembly). GET and HEAD
/// only; any other method or path goes through the token check as before.
/// </summary>
public static class PublicAssets
{
    public const string StaticPath = "/static";
    public const string DemoPath = "/demo";
    public const string ScriptPath = StaticPath + "/live-cells.js";

    /// <summary>Where the content of <c>wwwroot/</c> is copied by the build.</summary>
    public static string WebRoot => Path.Combine(AppContext.BaseDirectory, "wwwroot");

    /// <summary>Whether the request is for a public asset (path relative to the base URL).</summary>
    public static bool IsPublic(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }
        PathString path = request.Path;
        return path.StartsWithSegments(StaticPath, StringComparison.Ordinal) || path.StartsWithSegments(DemoPath, StringComparison.Ordinal);
    }

    /// <summary>
    /// Serves public assets in a branch of their own, so an unauthenticated request never reaches routing or the API.
    /// Call right after the token check (which lets <see cref="IsPublic"/> requests through).
    /// </summary>
    public static WebApplication UsePublicAssets(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        IFileProvider files = app.Environment.WebRootFileProvider;
        app.MapWhen(context => IsPublic(context.Request), branch =>
        {
            // Under a BaseUrl, WebApplication's UsePathBase routes again at once, and the catch-all 404 route matches
            // every path; the static file middleware skips requests with an endpoint, so forget it in this branch.
            branch.Use((context, next) =>
            {
                context.SetEndpoint(null);
                context.Request.RouteValues.Clear();
                return next(context);
            });
            // /demo and /demo/ serve demo/index.html (the former by a redirect to the latter).
            branch.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            branch.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                OnPrepareResponse = file =>
                {
                    // A stable URL whose content changes with each build: browsers revalidate (ETag) instead of caching blindly.
                    file.Context.Response.Headers.CacheControl = "no-cache";
                    file.Context.Response.Headers.XContentTypeOptions = "nosniff";
                },
            });
            branch.Run(context => NotFound(context).ExecuteAsync(context));
        });
        return app;
    }

    /// <summary>The message of the 404 for a missing public asset: for the script, how to build it.</summary>
    public static string NotFoundMessage(PathString path) =>
        path.Equals(ScriptPath, StringComparison.Ordinal)
            ? "The live-cells script has not been built: run scripts/setup.sh (it runs npm ci and npm run build in web/live-cells)."
            : "";

    private static IResult NotFound(HttpContext context) =>
        JsonErrors.Create(StatusCodes.Status404NotFound, "Not Found", NotFoundMessage(context.Request.Path));
}

using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NotebookGateway.Docker.Tests.Support;

/// <summary>
/// A scripted stand-in for the engine: Kestrel on a temporary Unix socket, answering <c>GET /version</c> with the
/// given API version and everything else with <see cref="Handler"/>.
/// </summary>
internal sealed class FakeEngine : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeEngine(WebApplication app, string socketPath)
    {
        _app = app;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    /// <summary>"METHOD /path?query" of every request, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public RequestDelegate Handler { get; set; } = context => WriteErrorAsync(context, 404, "page not found");

    public string VersionJson { get; set; } = "";

    public static async Task<FakeEngine> StartAsync(string apiVersion, string minApiVersion = "1.12", string engineVersion = "99.0.0-fake")
    {
        var socketPath = Path.Combine(Path.GetTempPath(), $"nbgw-fake-{Guid.NewGuid():N}.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var engine = new FakeEngine(app, socketPath)
        {
            VersionJson = $$"""{"Version":"{{engineVersion}}","ApiVersion":"{{apiVersion}}","MinAPIVersion":"{{minApiVersion}}","Os":"linux","Arch":"amd64"}""",
        };
        app.Run(context =>
        {
            engine.Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            if (context.Request.Path == "/version")
            {
                return WriteJsonAsync(context, 200, engine.VersionJson);
            }

            return engine.Handler(context);
        });
        await app.StartAsync();
        return engine;
    }

    public DockerClient CreateClient(DockerClientOptions? options = null) =>
        new((options ?? new DockerClientOptions()) with { SocketPath = SocketPath });

    public static async Task WriteJsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, Encoding.UTF8);
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, $$"""{"message":{{System.Text.Json.JsonSerializer.Serialize(message)}}}""");

    /// <summary>Writes <paramref name="data"/> in pieces of <paramref name="chunk"/> bytes, flushing each, so the client sees split reads.</summary>
    public static async Task WriteInChunksAsync(HttpContext context, byte[] data, int chunk)
    {
        for (var offset = 0; offset < data.Length; offset += chunk)
        {
            await context.Response.Body.WriteAsync(data.AsMemory(offset, Math.Min(chunk, data.Length - offset)));
            await context.Response.Body.FlushAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        File.Delete(SocketPath);
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NotebookGateway.Testing;

/// <summary>
/// Destinations for egress tests, all on the host's 127.0.0.1 (the only targets that exist here): an HTTP server and an
/// HTTPS one (self-signed, reached through CONNECT) with <c>/hello</c> (a token and the Host header seen),
/// <c>/bytes/{n}</c> (n bytes), and a PEP 503 index (<c>/simple/</c>) serving <see cref="Wheel"/>. Counts requests,
/// so a test can tell that a refused request never arrived.
/// </summary>
public sealed class EgressTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _requests;

    private EgressTestServer(WebApplication app, TestWheel wheel)
    {
        _app = app;
        Wheel = wheel;
    }

    public TestWheel Wheel { get; }

    /// <summary>What /hello answers (with the Host header appended).</summary>
    public string Token { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public int HttpPort { get; private set; }

    public int HttpsPort { get; private set; }

    /// <summary>Requests that reached the server so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public static async Task<EgressTestServer> StartAsync()
    {
        var wheel = new TestWheel();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate));
        });
        var app = builder.Build();
        var server = new EgressTestServer(app, wheel);
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref server._requests);
            return next(context);
        });
        app.MapGet("/hello", (HttpContext c) => $"{server.Token} host={c.Request.Host}");
        app.MapGet("/bytes/{n:long}", async (long n, HttpContext c) =>
        {
            c.Response.ContentType = "application/octet-stream";
            c.Response.ContentLength = n;
            var chunk = new byte[64 * 1024];
            for (long sent = 0; sent < n; sent += chunk.Length)
            {
                await c.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, n - sent)), c.RequestAborted);
            }
        });
        app.MapGet("/simple/", () => Results.Content($"<!DOCTYPE html><html><body><a href=\"{wheel.Project}/\">{wheel.Project}</a></body></html>", "text/html"));
        app.MapGet("/simple/{project}/", (string project) => project == wheel.Project
            ? Results.Content($"<!DOCTYPE html><html><body><a href=\"../../files/{wheel.FileName}#sha256={wheel.Sha256}\">{wheel.FileName}</a></body></html>", "text/html")
            : Results.NotFound());
        app.MapGet("/files/{file}", (string file) => file == wheel.FileName ? Results.Bytes(wheel.Bytes, "application/octet-stream") : Results.NotFound());
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        server.HttpPort = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal))).Port;
        server.HttpsPort = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal))).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

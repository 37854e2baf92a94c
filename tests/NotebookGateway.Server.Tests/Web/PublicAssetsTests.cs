using System.Net;
using Microsoft.AspNetCore.Http;
using NotebookGateway.Server.Web;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Web;

/// <summary>
/// The live-cells script and the demo page are the only things served without a token (GET and HEAD of
/// <c>static/*</c> and <c>demo/*</c>); the API and every other path still answer 401.
/// </summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class PublicAssetsTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string SetupHint = "the bundle is built by bash scripts/setup.sh (npm ci && npm run build in web/live-cells) before dotnet build";

    [Fact]
    public async Task The_script_and_the_demo_page_are_served_without_a_token()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);

        RestResponse script = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, Gateway.Url("static/live-cells.js"));
        Assert.True(script.Status == HttpStatusCode.OK, $"GET static/live-cells.js: {script.Status} ({SetupHint}): {script.Body}");
        Assert.Equal("text/javascript", script.ContentType);
        Assert.Contains("hubs/kernels", script.Body, StringComparison.Ordinal); // the bundle, SignalR client included
        Assert.Equal("nosniff", script.Header("X-Content-Type-Options"));

        RestResponse head = await GatewayRest.SendAsync(anonymous, HttpMethod.Head, Gateway.Url("static/live-cells.js"));
        Assert.Equal(HttpStatusCode.OK, head.Status);
        Assert.Equal("", head.Body);

        RestResponse demo = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, Gateway.Url("demo/"));
        Assert.Equal(HttpStatusCode.OK, demo.Status);
        Assert.Equal("text/html", demo.ContentType);
        Assert.Contains("""<script src="../static/live-cells.js" data-token-from="query">""", demo.Body, StringComparison.Ordinal);
        Assert.Contains("<pre data-executable>", demo.Body, StringComparison.Ordinal);

        // /demo → /demo/ keeping ?token=, so the relative script URL and the token both still work.
        using var noRedirects = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using HttpResponseMessage redirect = await noRedirects.GetAsync(Gateway.Url("demo?token=abc"));
        Assert.Equal(HttpStatusCode.MovedPermanently, redirect.StatusCode);
        Assert.Equal(Gateway.Url("demo/?token=abc"), redirect.Headers.Location);
    }

    [Fact]
    public async Task The_api_and_every_other_path_and_method_still_need_the_token()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        (string Method, string Path)[] guarded =
        [
            ("GET", "api"),
            ("GET", "api/kernels"),
            ("GET", "api/kernelspecs"),
            ("POST", "api/kernels"),
            ("GET", "metrics"),
            ("GET", "hubs/kernels"),
            ("POST", "static/live-cells.js"),
            ("PUT", "static/live-cells.js"),
            ("DELETE", "demo/index.html"),
            ("POST", "demo/"),
            ("GET", "staticfiles/live-cells.js"), // a prefix of the segment is not the segment
            ("GET", "demonstration/index.html"),
            ("GET", "wwwroot/demo/index.html"),
            ("GET", "NotebookGateway.Server.dll"),
            ("GET", "gateway.json"),
            ("GET", ""),
        ];
        var failures = new List<string>();
        foreach (var (method, path) in guarded)
        {
            RestResponse response = await GatewayRest.SendAsync(anonymous, new HttpMethod(method), Gateway.Url(path));
            if (response.Status != HttpStatusCode.Unauthorized)
            {
                failures.Add(response.ToString());
            }
        }
        Assert.True(failures.Count == 0, "answered without a token:\n  " + string.Join("\n  ", failures));

        // And the token still works for the API.
        RestResponse api = await GatewayRest.GetAsync(Gateway, "api");
        Assert.Equal(HttpStatusCode.OK, api.Status);
    }

    [Fact]
    public async Task A_missing_asset_is_a_json_404_and_never_a_file_outside_the_web_root()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        foreach (string path in new[] { "static/nope.js", "demo/nope.html", "static/", "static/%2e%2e/%2e%2e/NotebookGateway.Server.dll", "static/..%2F..%2Fgateway.json" })
        {
            RestResponse response = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, new Uri(Gateway.BaseUri + path));
            Assert.True(response.Status is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest,
                $"{path}: {response}");
            Assert.DoesNotContain("\"Sandbox\"", response.Body, StringComparison.Ordinal);
            Assert.False(response.ContentType == "application/octet-stream", $"{path}: {response}");
        }
        GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(anonymous, HttpMethod.Get, Gateway.Url("static/nope.js")), HttpStatusCode.NotFound, "Not Found");
    }

    [Fact]
    public async Task Under_a_base_url_the_assets_are_served_below_it_and_only_there()
    {
        await using GatewayProcess prefixed = await GatewayProcess.StartAsync(new Dictionary<string, string> { [GatewaySettings.BaseUrl] = "/nb/" });
        using HttpClient anonymous = prefixed.CreateHttpClient(token: null);
        var root = new Uri($"http://127.0.0.1:{prefixed.Port}/");

        RestResponse script = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, new Uri(root, "nb/static/live-cells.js"));
        Assert.True(script.Status == HttpStatusCode.OK, $"nb/static/live-cells.js: {script.Status} ({SetupHint}): {script.Body}");
        Assert.Contains("hubs/kernels", script.Body, StringComparison.Ordinal);
        RestResponse demo = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, new Uri(root, "nb/demo/"));
        Assert.Equal(HttpStatusCode.OK, demo.Status);
        Assert.Contains("../static/live-cells.js", demo.Body, StringComparison.Ordinal);

        foreach (string outside in new[] { "static/live-cells.js", "demo/" })
        {
            GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(anonymous, HttpMethod.Get, new Uri(root, outside)), HttpStatusCode.NotFound);
        }
        GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(anonymous, HttpMethod.Get, new Uri(root, "nb/api")), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public void The_404_for_an_unbuilt_script_says_how_to_build_it()
    {
        Assert.Contains("scripts/setup.sh", PublicAssets.NotFoundMessage(new PathString("/static/live-cells.js")), StringComparison.Ordinal);
        Assert.Equal("", PublicAssets.NotFoundMessage(new PathString("/static/other.js")));
    }
}

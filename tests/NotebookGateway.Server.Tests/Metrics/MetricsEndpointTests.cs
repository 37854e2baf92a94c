using System.Net;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Metrics;

/// <summary>§7 items 53–54: <c>GET /metrics</c> on the real gateway.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class MetricsEndpointTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    [Fact]
    public async Task A_scrape_after_a_kernel_ran_a_cell_has_http_and_kernel_metrics_and_passes_promtool()
    {
        string kernel = await StartKernelAsync();
        KernelSocket socket = await ConnectAsync(kernel);
        Assert.Equal("ok", (await socket.ExecuteAsync("6*7")).Status);
        GatewayRest.ExpectStatus(await GatewayRest.GetAsync(Gateway, $"api/kernels/{kernel}"), HttpStatusCode.OK, Gateway);

        RestResponse scrape = await GatewayRest.GetAsync(Gateway, "metrics");
        GatewayRest.ExpectStatus(scrape, HttpStatusCode.OK, Gateway);
        Assert.Equal(ContentType, scrape.Header("Content-Type"));
        string text = scrape.Body;
        Output.WriteLine(text);

        Assert.Contains("# TYPE http_request_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_bucket{handler=\"/api/kernels\",method=\"POST\",status_code=\"201\",le=\"+Inf\"} ", text, StringComparison.Ordinal);
        // The route template, never the path with the kernel id.
        Assert.Contains("handler=\"/api/kernels/{kernelId}\",method=\"GET\",status_code=\"200\"", text, StringComparison.Ordinal);
        // Only the per-kernel sandbox gauges carry a kernel id (bounded by the series cap); HTTP series never do.
        Assert.DoesNotContain(text.Split('\n'), line => line.Contains(kernel, StringComparison.Ordinal) && !line.StartsWith("sandbox_", StringComparison.Ordinal));
        Assert.DoesNotContain(Gateway.Token, text, StringComparison.Ordinal);
        // KernelMetrics (meter NotebookGateway.Kernels).
        Assert.Contains("kernel_starts_total{outcome=\"ok\"} ", text, StringComparison.Ordinal);
        Assert.Contains("kernel_start_duration_seconds_count ", text, StringComparison.Ordinal);
        Assert.Matches(@"\nkernels_running [1-9]", text);
        Assert.Matches(@"\nwebsocket_connections [1-9]", text);

        await Promtool.AssertValidAsync(text);
    }

    [Fact]
    public async Task Metrics_without_a_token_is_401_by_default()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        RestResponse response = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, Gateway.Url("metrics"));
        GatewayRest.ExpectJsonError(response, HttpStatusCode.Unauthorized, "Unauthorized");
    }

    [Fact]
    public async Task Without_RequireToken_metrics_is_served_anonymously_also_on_the_metrics_port_which_serves_nothing_else()
    {
        int port = LoopbackPorts.Free();
        await using GatewayProcess gateway = await GatewayProcess.StartAsync(new Dictionary<string, string>
        {
            ["Metrics:RequireToken"] = "false",
            ["Metrics:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using HttpClient anonymous = gateway.CreateHttpClient(token: null);

        RestResponse main = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, gateway.Url("metrics"));
        GatewayRest.ExpectStatus(main, HttpStatusCode.OK, gateway);
        Assert.Equal(ContentType, main.Header("Content-Type"));
        // Only /metrics skips the token.
        GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(anonymous, HttpMethod.Get, gateway.Url("api/kernels")), HttpStatusCode.Unauthorized);

        var metricsPort = new Uri($"http://127.0.0.1:{port}/");
        RestResponse separate = await GatewayRest.SendAsync(anonymous, HttpMethod.Get, new Uri(metricsPort, "metrics"));
        GatewayRest.ExpectStatus(separate, HttpStatusCode.OK, gateway);
        Assert.Contains("# TYPE http_request_duration_seconds histogram\n", separate.Body, StringComparison.Ordinal);
        await Promtool.AssertValidAsync(separate.Body);
        using HttpClient authorized = gateway.CreateHttpClient(gateway.Token);
        RestResponse api = await GatewayRest.SendAsync(authorized, HttpMethod.Get, new Uri(metricsPort, "api/kernelspecs"));
        Assert.Equal(HttpStatusCode.NotFound, api.Status);
    }
}

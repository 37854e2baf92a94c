using System.Net;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Security;

/// <summary>§7 items 11 and 12, with every CORS option configured (<see cref="CorsGatewayFixture"/>).</summary>
[Collection(CorsGatewayCollection.Name)]
public sealed class CorsTests(CorsGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Theory]
    [InlineData("api")]
    [InlineData("api/kernelspecs")]
    [InlineData("api/kernels")]
    [InlineData("api/kernels/00000000-0000-4000-8000-000000000000")]
    [InlineData("api/kernels/00000000-0000-4000-8000-000000000000/channels")]
    [InlineData("api/sessions")]
    public async Task Preflight_OPTIONS_needs_no_token_and_carries_the_configured_headers(string path)
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Options, Gateway.Url(path));
        request.Headers.Add("Origin", CorsGatewayFixture.Origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        RestResponse response = await GatewayRest.SendAsync(anonymous, request);

        GatewayRest.ExpectStatus(response, HttpStatusCode.OK, Gateway);
        Assert.Equal(CorsGatewayFixture.Origin, response.Header("Access-Control-Allow-Origin"));
        Assert.Equal(Normalize(CorsGatewayFixture.Methods), Normalize(response.Header("Access-Control-Allow-Methods")));
        Assert.Equal(Normalize(CorsGatewayFixture.Headers), Normalize(response.Header("Access-Control-Allow-Headers")));
        Assert.Equal(CorsGatewayFixture.MaxAge, response.Header("Access-Control-Max-Age"));
    }

    [Fact]
    public async Task Every_answer_carries_the_allowed_origin_401_and_404_included_and_no_CSP()
    {
        using HttpClient anonymous = Gateway.CreateHttpClient(token: null);
        var cases = new (HttpClient Client, string Path, HttpStatusCode Expected)[]
        {
            (Gateway.Http, "api", HttpStatusCode.OK),
            (Gateway.Http, "api/kernelspecs", HttpStatusCode.OK),
            (anonymous, "api", HttpStatusCode.Unauthorized),
            (anonymous, "api/kernels", HttpStatusCode.Unauthorized),
            (Gateway.Http, "no/such/route", HttpStatusCode.NotFound),
            (Gateway.Http, $"api/kernels/{Guid.NewGuid()}", HttpStatusCode.NotFound),
        };
        foreach (var (client, path, expected) in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Gateway.Url(path));
            request.Headers.Add("Origin", CorsGatewayFixture.Origin);
            RestResponse response = await GatewayRest.SendAsync(client, request);
            GatewayRest.ExpectStatus(response, expected, Gateway);
            Assert.True(response.Header("Access-Control-Allow-Origin") == CorsGatewayFixture.Origin, $"no allowed origin: {response}");
            Assert.True(response.Header("Access-Control-Expose-Headers") == CorsGatewayFixture.Expose, $"no exposed headers: {response}");
            Assert.True(response.Header("Content-Security-Policy") is null, $"API answers carry no CSP: {response}");
        }
    }

    private static string Normalize(string? list) =>
        string.Join(',', (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.ToUpperInvariant()).Order(StringComparer.Ordinal));
}

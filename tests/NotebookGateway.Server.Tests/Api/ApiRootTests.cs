using System.Net;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Api;

/// <summary>§7 items 1 and 9: <c>/api</c>, the JSON 404 of every unknown route, and the base URL.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class ApiRootTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Api_returns_200_with_a_version_string()
    {
        RestResponse response = await GatewayRest.GetAsync(Gateway, "api");
        GatewayRest.ExpectStatus(response, HttpStatusCode.OK, Gateway);
        Assert.Equal("application/json", response.ContentType);
        Assert.False(string.IsNullOrEmpty(response.Json?["version"]?.GetValue<string>()), $"no version: {response}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("tree")]
    [InlineData("api/contents")]
    [InlineData("api/contents/a.ipynb")]
    [InlineData("api/terminals")]
    [InlineData("api/nbconvert")]
    [InlineData("api/nope")]
    [InlineData("api/kernels/notauuid")]
    [InlineData("login")]
    public async Task Unknown_routes_are_a_json_404_not_found(string route)
    {
        RestResponse response = await GatewayRest.GetAsync(Gateway, route);
        GatewayRest.ExpectJsonError(response, HttpStatusCode.NotFound, "Not Found");
    }

    [Fact]
    public async Task With_a_base_url_every_route_lives_only_under_it()
    {
        await using GatewayProcess prefixed = await GatewayProcess.StartAsync(new Dictionary<string, string> { [GatewaySettings.BaseUrl] = "/x/" });
        Assert.Equal($"http://127.0.0.1:{prefixed.Port}/x/", prefixed.BaseUri.ToString());

        GatewayRest.ExpectStatus(await GatewayRest.GetAsync(prefixed, "api"), HttpStatusCode.OK, prefixed);
        RestResponse specs = await GatewayRest.GetAsync(prefixed, "api/kernelspecs");
        GatewayRest.ExpectStatus(specs, HttpStatusCode.OK, prefixed);
        // Resource URLs include the base URL.
        string? logo = specs.Json?["kernelspecs"]?[GatewayRest.Python3]?["resources"]?["logo-64x64"]?.GetValue<string>();
        Assert.True(logo is not null && logo.StartsWith("/x/kernelspecs/", StringComparison.Ordinal), $"logo URL {logo} lacks the base URL: {specs}");

        foreach (string outside in new[] { "/api", "/api/kernelspecs", "/api/kernels" })
        {
            RestResponse response = await GatewayRest.SendAsync(prefixed.Http, HttpMethod.Get, new Uri(prefixed.BaseUri, outside));
            GatewayRest.ExpectJsonError(response, HttpStatusCode.NotFound);
        }
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Api;

/// <summary>§7 items 1 and 2: the kernelspecs resource and its files.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class KernelSpecsApiTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Kernelspecs_lists_python3_with_spec_resources_and_a_listed_default()
    {
        RestResponse response = await GatewayRest.GetAsync(Gateway, "api/kernelspecs");
        GatewayRest.ExpectStatus(response, HttpStatusCode.OK, Gateway);
        JsonObject specs = Assert.IsType<JsonObject>(response.Json?["kernelspecs"]);
        string? @default = response.Json?["default"]?.GetValue<string>();
        Assert.True(@default is not null && specs.ContainsKey(@default), $"default {@default} is not a listed spec: {response}");
        Assert.True(specs.ContainsKey(GatewayRest.Python3), $"python3 is not listed: {response}");

        foreach (var (name, entry) in specs)
        {
            Assert.Equal(name, entry?["name"]?.GetValue<string>());
            JsonObject spec = Assert.IsType<JsonObject>(entry?["spec"]);
            Assert.IsType<JsonArray>(spec["argv"]);
            Assert.False(string.IsNullOrEmpty(spec["display_name"]?.GetValue<string>()), $"{name}: no display_name");
            Assert.False(string.IsNullOrEmpty(spec["language"]?.GetValue<string>()), $"{name}: no language");
            Assert.IsType<JsonObject>(entry?["resources"]);
        }
        Assert.Equal("python", specs[GatewayRest.Python3]!["spec"]!["language"]!.GetValue<string>().ToLowerInvariant());
    }

    [Fact]
    public async Task One_kernelspec_is_served_by_name()
    {
        RestResponse response = await GatewayRest.GetAsync(Gateway, "api/kernelspecs/python3");
        GatewayRest.ExpectStatus(response, HttpStatusCode.OK, Gateway);
        Assert.Equal(GatewayRest.Python3, response.Json?["name"]?.GetValue<string>());
        Assert.IsType<JsonObject>(response.Json?["spec"]);
    }

    [Fact]
    public async Task Unknown_kernelspec_is_a_json_404_naming_it()
    {
        RestResponse response = await GatewayRest.GetAsync(Gateway, "api/kernelspecs/no-such-spec");
        JsonObject error = GatewayRest.ExpectJsonError(response, HttpStatusCode.NotFound);
        Assert.Contains("no-such-spec", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kernelspec_logo_is_served_as_png_and_unknown_spec_files_are_404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Gateway.Url("kernelspecs/python3/logo-64x64.png"));
        using var cts = new CancellationTokenSource(TestTimeouts.Reply);
        using HttpResponseMessage response = await Gateway.Http.SendAsync(request, cts.Token);
        byte[] body = await response.Content.ReadAsByteArrayAsync(cts.Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"logo: {(int)response.StatusCode}\n{Gateway.RecentOutput()}");
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        byte[] expected = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "kernelspecs", "python3", "logo-64x64.png"));
        Assert.Equal(expected, body);

        RestResponse missing = await GatewayRest.GetAsync(Gateway, "kernelspecs/no-such-spec/logo-64x64.png");
        GatewayRest.ExpectStatus(missing, HttpStatusCode.NotFound, Gateway);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Api;

/// <summary>§7 items 50–52: the sessions resource.</summary>
[Collection(DefaultGatewayCollection.Name)]
public sealed class SessionsApiTests(DefaultGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    internal static string SessionBody(string path, string kernelName = GatewayRest.Python3) =>
        new JsonObject
        {
            ["path"] = path,
            ["type"] = "notebook",
            ["name"] = Path.GetFileNameWithoutExtension(path),
            ["kernel"] = new JsonObject { ["name"] = kernelName },
        }.ToJsonString();

    [Fact]
    public async Task Post_returns_201_with_location_and_the_same_path_returns_the_same_session()
    {
        string path = $"sessions-{Guid.NewGuid():N}.ipynb";
        RestResponse created = await GatewayRest.PostAsync(Gateway, "api/sessions", SessionBody(path), TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        JsonObject session = Assert.IsType<JsonObject>(created.Json);
        string? id = session["id"]?.GetValue<string>();
        Assert.True(id is not null && KernelModel.Uuid().IsMatch(id), $"session id is not a uuid: {created}");
        JsonObject kernel = KernelModel.Check(session["kernel"]);
        string kernelId = kernel["id"]!.GetValue<string>();
        DeleteAfterTest(kernelId);
        Assert.Equal(path, session["path"]?.GetValue<string>() ?? session["notebook"]?["path"]?.GetValue<string>());

        string? location = created.Header("Location");
        Assert.True(location is not null, $"no Location header: {created}");
        Assert.Equal(Gateway.Url($"api/sessions/{id}").AbsolutePath, new Uri(Gateway.BaseUri, location).AbsolutePath);

        RestResponse fetched = await GatewayRest.GetAsync(Gateway, $"api/sessions/{id}");
        GatewayRest.ExpectStatus(fetched, HttpStatusCode.OK, Gateway);
        Assert.Equal(id, fetched.Json?["id"]?.GetValue<string>());
        Assert.Equal(kernelId, fetched.Json?["kernel"]?["id"]?.GetValue<string>());

        RestResponse again = await GatewayRest.PostAsync(Gateway, "api/sessions", SessionBody(path), TestTimeouts.KernelStart);
        Assert.True((int)again.Status is >= 200 and < 300, $"the same path again: {again}");
        Assert.Equal(id, again.Json?["id"]?.GetValue<string>());
        Assert.Equal(kernelId, again.Json?["kernel"]?["id"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"type":"notebook","kernel":{"name":"python3"}}""")]
    [InlineData("""{"path":"","type":"notebook","kernel":{"name":"python3"}}""")]
    [InlineData("""{"path":5,"type":"notebook","kernel":{"name":"python3"}}""")]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task Post_without_a_path_or_json_is_a_json_400(string body)
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/sessions", body);
        if (response.Json?["kernel"]?["id"]?.GetValue<string>() is { } kernel)
        {
            DeleteAfterTest(kernel);
        }
        GatewayRest.ExpectJsonError(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Post_with_an_unknown_kernel_name_is_a_json_client_error()
    {
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/sessions", SessionBody($"unknown-{Guid.NewGuid():N}.ipynb", "no-such-spec"));
        if (response.Json?["kernel"]?["id"]?.GetValue<string>() is { } kernel)
        {
            DeleteAfterTest(kernel);
        }
        Assert.True((int)response.Status is >= 400 and < 500, $"expected a 4xx: {response}");
        GatewayRest.ExpectJsonError(response, response.Status);
    }

    [Fact]
    public async Task Delete_returns_204_deletes_the_kernel_and_later_gets_are_404()
    {
        RestResponse created = await GatewayRest.PostAsync(Gateway, "api/sessions", SessionBody($"delete-{Guid.NewGuid():N}.ipynb"), TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        string kernelId = created.Json!["kernel"]!["id"]!.GetValue<string>();
        DeleteAfterTest(kernelId);

        GatewayRest.ExpectStatus(await GatewayRest.DeleteAsync(Gateway, $"api/sessions/{id}"), HttpStatusCode.NoContent, Gateway);
        GatewayRest.ExpectJsonError(await GatewayRest.GetAsync(Gateway, $"api/sessions/{id}"), HttpStatusCode.NotFound);
        GatewayRest.ExpectJsonError(await GatewayRest.GetAsync(Gateway, $"api/kernels/{kernelId}"), HttpStatusCode.NotFound);
        GatewayRest.ExpectJsonError(await GatewayRest.DeleteAsync(Gateway, $"api/sessions/{id}"), HttpStatusCode.NotFound);
    }
}

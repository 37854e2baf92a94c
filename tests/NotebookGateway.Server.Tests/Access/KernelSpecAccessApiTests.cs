using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Access;

/// <summary>§7 item 19 for kernelspecs, by group membership, against the real gateway.</summary>
[Collection(LimitsAndAccessGatewayCollection.Name)]
public sealed class KernelSpecAccessApiTests(LimitsAndAccessGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private HttpClient ClientOf(string user) => Gateway.CreateHttpClient(LimitsAndAccessGatewayFixture.Tokens[user]);

    [Fact]
    public async Task DeniedSpec_StartIs403NamingTheSpecAndTheListLeavesItOut()
    {
        using HttpClient denied = ClientOf("denied");

        RestResponse kernel = await GatewayRest.SendAsync(denied, HttpMethod.Post, Gateway.Url("api/kernels"), """{"name":"python3"}""", timeout: TestTimeouts.KernelStart);
        JsonObject error = GatewayRest.ExpectJsonError(kernel, HttpStatusCode.Forbidden, "Forbidden");
        Assert.Equal("User 'denied' is not authorized to start kernel spec 'python3' (denied by group 'restricted').", error["message"]!.GetValue<string>());

        RestResponse session = await GatewayRest.SendAsync(denied, HttpMethod.Post, Gateway.Url("api/sessions"), """{"path":"d.ipynb","kernel":{"name":"python3"}}""", timeout: TestTimeouts.KernelStart);
        Assert.Contains("'python3'", GatewayRest.ExpectJsonError(session, HttpStatusCode.Forbidden, "Forbidden")["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[]", (await GatewayRest.SendAsync(denied, HttpMethod.Get, Gateway.Url("api/sessions"))).Body);

        JsonObject specs = (JsonObject)(await GatewayRest.SendAsync(denied, HttpMethod.Get, Gateway.Url("api/kernelspecs"))).Json!;
        JsonObject visible = (JsonObject)specs["kernelspecs"]!;
        Assert.False(visible.ContainsKey("python3"), visible.ToJsonString());
        // The group denies python3 only; the other languages stay listed and the default moves off the denied spec.
        Assert.True(visible.ContainsKey("bash"), visible.ToJsonString());
        Assert.NotEqual("python3", specs["default"]?.GetValue<string>());
        GatewayRest.ExpectJsonError(await GatewayRest.SendAsync(denied, HttpMethod.Get, Gateway.Url("api/kernelspecs/python3")), HttpStatusCode.NotFound);

        // Others still see it.
        JsonObject mine = (JsonObject)(await GatewayRest.GetAsync(Gateway, "api/kernelspecs")).Json!;
        Assert.True(((JsonObject)mine["kernelspecs"]!).ContainsKey("python3"), mine.ToJsonString());
    }

    [Fact]
    public async Task DeniedByOneGroupAllowedByAnother_DenialWins()
    {
        using HttpClient contradicted = ClientOf("contradicted");

        RestResponse kernel = await GatewayRest.SendAsync(contradicted, HttpMethod.Post, Gateway.Url("api/kernels"), """{"name":"python3"}""", timeout: TestTimeouts.KernelStart);

        Assert.Contains("denied by group 'restricted'", GatewayRest.ExpectJsonError(kernel, HttpStatusCode.Forbidden)["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonEmptyAllowList_RefusesOtherSpecs_AndAGroupCanGrantOne()
    {
        using HttpClient narrow = ClientOf("narrow");
        RestResponse refused = await GatewayRest.SendAsync(narrow, HttpMethod.Post, Gateway.Url("api/kernels"), "{}", timeout: TestTimeouts.KernelStart);
        Assert.Contains("not in the allow list of group 'narrow'", GatewayRest.ExpectJsonError(refused, HttpStatusCode.Forbidden)["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Same narrow group, plus staff, whose allow list names python3.
        using HttpClient granted = ClientOf("granted");
        JsonObject specs = (JsonObject)(await GatewayRest.SendAsync(granted, HttpMethod.Get, Gateway.Url("api/kernelspecs"))).Json!;
        Assert.True(((JsonObject)specs["kernelspecs"]!).ContainsKey("python3"), specs.ToJsonString());
        Assert.Equal("python3", specs["default"]!.GetValue<string>());
        RestResponse started = await GatewayRest.SendAsync(granted, HttpMethod.Post, Gateway.Url("api/kernels"), """{"name":"python3"}""", timeout: TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(started, HttpStatusCode.Created, Gateway);
        await GatewayRest.SendAsync(granted, HttpMethod.Delete, Gateway.Url($"api/kernels/{started.Json!["id"]!.GetValue<string>()}"));
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Api;

/// <summary>§7 items 15 and 51: the kernel and session lists (<see cref="GatewaySettings.ListKernels"/>).</summary>
[Collection(ListingGatewayCollection.Name)]
public sealed class ListingTests(ListingGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task Kernel_and_session_lists_are_a_json_403_when_listing_is_disabled()
    {
        await using GatewayProcess unlisted = await GatewayProcess.StartAsync(new Dictionary<string, string> { [GatewaySettings.ListKernels] = "false" });
        GatewayRest.ExpectJsonError(await GatewayRest.GetAsync(unlisted, "api/kernels"), HttpStatusCode.Forbidden, "Forbidden");
        GatewayRest.ExpectJsonError(await GatewayRest.GetAsync(unlisted, "api/sessions"), HttpStatusCode.Forbidden, "Forbidden");
        GatewayRest.ExpectStatus(await GatewayRest.GetAsync(unlisted, "api"), HttpStatusCode.OK, unlisted);
    }

    [Fact]
    public async Task Kernel_and_session_lists_show_what_was_started()
    {
        RestResponse created = await GatewayRest.PostAsync(Gateway, "api/sessions", SessionsApiTests.SessionBody($"listed-{Guid.NewGuid():N}.ipynb"), TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string sessionId = created.Json!["id"]!.GetValue<string>();
        string kernelId = created.Json!["kernel"]!["id"]!.GetValue<string>();
        DeleteAfterTest(kernelId);

        RestResponse kernels = await GatewayRest.GetAsync(Gateway, "api/kernels");
        GatewayRest.ExpectStatus(kernels, HttpStatusCode.OK, Gateway);
        JsonArray kernelList = Assert.IsType<JsonArray>(kernels.Json);
        JsonNode? listed = kernelList.FirstOrDefault(k => k?["id"]?.GetValue<string>() == kernelId);
        Assert.True(listed is not null, $"kernel {kernelId} not listed: {kernels}");
        KernelModel.Check(listed, kernelId);

        RestResponse sessions = await GatewayRest.GetAsync(Gateway, "api/sessions");
        GatewayRest.ExpectStatus(sessions, HttpStatusCode.OK, Gateway);
        JsonArray sessionList = Assert.IsType<JsonArray>(sessions.Json);
        Assert.Contains(sessionList, s => s?["id"]?.GetValue<string>() == sessionId && s?["kernel"]?["id"]?.GetValue<string>() == kernelId);

        GatewayRest.ExpectStatus(await GatewayRest.DeleteAsync(Gateway, $"api/sessions/{sessionId}"), HttpStatusCode.NoContent, Gateway);
        RestResponse afterKernels = await GatewayRest.GetAsync(Gateway, "api/kernels");
        Assert.DoesNotContain(Assert.IsType<JsonArray>(afterKernels.Json), k => k?["id"]?.GetValue<string>() == kernelId);
        RestResponse afterSessions = await GatewayRest.GetAsync(Gateway, "api/sessions");
        Assert.DoesNotContain(Assert.IsType<JsonArray>(afterSessions.Json), s => s?["id"]?.GetValue<string>() == sessionId);
    }

    [Fact]
    public async Task A_session_with_an_unknown_kernel_name_creates_no_kernel()
    {
        IReadOnlySet<string> before = await KernelIdsAsync();
        RestResponse response = await GatewayRest.PostAsync(Gateway, "api/sessions", SessionsApiTests.SessionBody($"nokernel-{Guid.NewGuid():N}.ipynb", "no-such-spec"));
        Assert.True((int)response.Status is >= 400 and < 500, $"expected a 4xx: {response}");
        IReadOnlySet<string> after = await KernelIdsAsync();
        Assert.True(after.IsSubsetOf(before), $"new kernels after a refused session: {string.Join(", ", after.Except(before))}");
    }

    private async Task<IReadOnlySet<string>> KernelIdsAsync()
    {
        RestResponse kernels = await GatewayRest.GetAsync(Gateway, "api/kernels");
        GatewayRest.ExpectStatus(kernels, HttpStatusCode.OK, Gateway);
        return Assert.IsType<JsonArray>(kernels.Json).Select(k => k!["id"]!.GetValue<string>()).ToHashSet();
    }
}

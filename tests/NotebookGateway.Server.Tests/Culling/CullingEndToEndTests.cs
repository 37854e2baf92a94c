using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Culling;

/// <summary>§7 items 45 and 47 on a real sandboxed kernel: an idle kernel is deleted within T+I, polling does not keep it alive.</summary>
[Collection(CullingGatewayCollection.Name)]
public sealed class CullingEndToEndTests(CullingGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    [Fact]
    public async Task IdleKernel_PolledButUnused_IsCulledWithinTimeoutPlusInterval()
    {
        RestResponse created = await GatewayRest.PostAsync(Gateway, "api/kernels", "{}", TestTimeouts.KernelStart);
        GatewayRest.ExpectStatus(created, HttpStatusCode.Created, Gateway);
        string id = created.Json!["id"]!.GetValue<string>();
        DeleteAfterTest(id);
        var clock = Stopwatch.StartNew();

        // Status polling is not activity: keep asking until the kernel is gone.
        HttpStatusCode status = HttpStatusCode.OK;
        while (status == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            status = (await GatewayRest.GetAsync(Gateway, $"api/kernels/{id}")).Status;
            await Task.Delay(250);
        }

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(CullingGatewayFixture.IdleTimeoutSeconds - 1), $"culled too early: {clock.Elapsed}");
    }

    [Fact]
    public async Task ConnectedIdleKernel_ClientGetsTheReasonAndTheSocketCloses()
    {
        KernelSocket socket = await ConnectAsync(await StartKernelAsync());

        ReceivedFrame notice = await socket.WaitForAsync(
            f => f.MsgType == "stream" && f.ContentText("name") == "stderr" && (f.ContentText("text") ?? "").Contains("shut this kernel down", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the culling notice");

        Assert.Contains("idle for", notice.ContentText("text"), StringComparison.Ordinal);
        Assert.True(await socket.WaitForCloseAsync(TestTimeouts.Step), "the socket stayed open after the kernel was culled");
    }
}

using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Hubs;

/// <summary>
/// The kernel hub with the real JavaScript SignalR client, <c>@microsoft/signalr</c> under Node.js:
/// <c>tests/js/hub.test.mjs</c> run by <c>node --test</c> against a gateway with two users (TAP output parsed here).
/// </summary>
[Collection(HubGatewayCollection.Name)]
public sealed class KernelHubNodeTests(HubGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string Script = "tests/js/hub.test.mjs";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task SignalR_JavaScript_client_starts_executes_streams_reconnects_and_is_refused_other_users_kernels()
    {
        await NodeTests.RequireAsync(NodeTests.SetupHint, "tests/js/node_modules/@microsoft/signalr/package.json");
        await NodeTests.RunAsync(Output, [Script], new Dictionary<string, string>
        {
            ["GATEWAY_URL"] = Gateway.BaseUri.ToString(),
            ["GATEWAY_TOKEN"] = HubGatewayFixture.AliceToken,
            ["GATEWAY_OTHER_TOKEN"] = HubGatewayFixture.BobToken,
            ["GATEWAY_ONE_CONNECTION_TOKEN"] = HubGatewayFixture.CarolToken,
            ["GATEWAY_OTHER_MAX_KERNELS"] = HubGatewayFixture.BobMaxKernels.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GATEWAY_OUTPUT_BYTES_PER_CELL"] = HubGatewayFixture.OutputBytesPerCell.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["GATEWAY_ADMISSION_RULE"] = HubGatewayFixture.AdmissionRule,
            ["GATEWAY_ADMISSION_MESSAGE"] = HubGatewayFixture.AdmissionMessage,
            ["GATEWAY_ADMISSION_REFUSED_CODE"] = HubGatewayFixture.AdmissionRefusedCode,
        }, RunTimeout, minimumPassed: 17);
    }
}

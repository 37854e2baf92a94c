using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Clients;

/// <summary>
/// JupyterLab's own client library, <c>@jupyterlab/services</c> under Node.js, against the gateway:
/// <c>tests/js/jupyterlab-services.test.mjs</c> run by <c>node --test</c> (TAP output parsed here).
/// </summary>
[Collection(ListingGatewayCollection.Name)]
public sealed class JupyterLabServicesTests(ListingGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string Script = "tests/js/jupyterlab-services.test.mjs";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task JupyterLab_services_kernelspecs_kernels_and_sessions_work_against_the_gateway()
    {
        await NodeTests.RequireAsync(NodeTests.SetupHint, "tests/js/node_modules/@jupyterlab/services/package.json");
        await NodeTests.RunAsync(Output, [Script], new Dictionary<string, string>
        {
            ["GATEWAY_URL"] = Gateway.BaseUri.ToString(),
            ["GATEWAY_TOKEN"] = Gateway.Token,
        }, RunTimeout, minimumPassed: 1);
    }
}

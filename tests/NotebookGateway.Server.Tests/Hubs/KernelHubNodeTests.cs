using NotebookGateway.Server.Tests.Clients;
using NotebookGateway.Server.Tests.Support;
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
    private const string SetupHint = "run bash scripts/setup.sh (it installs Node.js packages with npm ci --prefix tests/js)";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task SignalR_JavaScript_client_starts_executes_streams_reconnects_and_is_refused_other_users_kernels()
    {
        await JupyterLabServicesTests.RequireNodeAsync();
        string client = Path.Combine(RepositoryPaths.JsTests, "node_modules", "@microsoft", "signalr", "package.json");
        Assert.True(File.Exists(client), $"{client} is missing: {SetupHint}");

        ProcessRun run = await ExternalProcess.RunAsync("node", ["--test", "--test-reporter=tap", Script], RepositoryPaths.Root,
            new Dictionary<string, string>
            {
                ["GATEWAY_URL"] = Gateway.BaseUri.ToString(),
                ["GATEWAY_TOKEN"] = HubGatewayFixture.AliceToken,
                ["GATEWAY_OTHER_TOKEN"] = HubGatewayFixture.BobToken,
                ["GATEWAY_OTHER_MAX_KERNELS"] = HubGatewayFixture.BobMaxKernels.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["NODE_OPTIONS"] = "",
            },
            RunTimeout, SetupHint);
        Output.WriteLine(run.Output);

        Assert.False(run.TimedOut, $"node --test did not finish within {RunTimeout.TotalMinutes:0} min:\n{run.Output}");
        JupyterLabServicesTests.TapSummary summary = JupyterLabServicesTests.TapSummary.Parse(run.Output);
        Assert.True(run.ExitCode == 0 && summary.Failed == 0 && summary.Cancelled == 0 && summary.Passed >= 15,
            $"node --test exited with {run.ExitCode}: {summary}\nfailed: {string.Join("\n  ", summary.FailedTests)}\n\n{run.Output}");
    }
}

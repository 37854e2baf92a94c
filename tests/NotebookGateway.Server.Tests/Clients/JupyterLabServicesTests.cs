using System.ComponentModel;
using System.Text.RegularExpressions;
using NotebookGateway.Server.Tests.Support;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Clients;

/// <summary>
/// JupyterLab's own client library, <c>@jupyterlab/services</c> under Node.js, against the gateway:
/// <c>tests/js/jupyterlab-services.test.mjs</c> run by <c>node --test</c> (TAP output parsed here).
/// </summary>
[Collection(ListingGatewayCollection.Name)]
public sealed partial class JupyterLabServicesTests(ListingGatewayFixture fixture, ITestOutputHelper output) : GatewayTest(fixture, output)
{
    private const string Script = "tests/js/jupyterlab-services.test.mjs";
    private const string SetupHint = "run bash scripts/setup.sh (it installs Node.js packages with npm ci --prefix tests/js)";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task JupyterLab_services_kernelspecs_kernels_and_sessions_work_against_the_gateway()
    {
        await RequireNodeAsync();
        ProcessRun run = await ExternalProcess.RunAsync("node", ["--test", "--test-reporter=tap", Script], RepositoryPaths.Root,
            new Dictionary<string, string>
            {
                ["GATEWAY_URL"] = Gateway.BaseUri.ToString(),
                ["GATEWAY_TOKEN"] = Gateway.Token,
                ["NODE_OPTIONS"] = "",
            },
            RunTimeout, SetupHint);
        Output.WriteLine(run.Output);

        Assert.False(run.TimedOut, $"node --test did not finish within {RunTimeout.TotalMinutes:0} min:\n{run.Output}");
        TapSummary summary = TapSummary.Parse(run.Output);
        Assert.True(run.ExitCode == 0 && summary.Failed == 0 && summary.Cancelled == 0 && summary.Passed > 0,
            $"node --test exited with {run.ExitCode}: {summary}\nfailed: {string.Join("\n  ", summary.FailedTests)}\n\n{run.Output}");
    }

    internal static async Task RequireNodeAsync()
    {
        ProcessRun version;
        try
        {
            version = await ExternalProcess.RunAsync("node", ["--version"], RepositoryPaths.Root, null, Timeouts.Short, SetupHint);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is Win32Exception)
        {
            Assert.Fail($"node is not on PATH: {SetupHint}");
            return;
        }
        Assert.True(version.ExitCode == 0 && version.Output.StartsWith('v'), $"node --version failed: {version.Output}");
        string services = Path.Combine(RepositoryPaths.JsTests, "node_modules", "@jupyterlab", "services", "package.json");
        Assert.True(File.Exists(services), $"{services} is missing: {SetupHint}");
    }

    /// <summary>The closing counters of node's TAP reporter (<c># pass N</c>, <c># fail N</c>, ...) and the failing tests.</summary>
    internal sealed partial record TapSummary(int Passed, int Failed, int Cancelled, IReadOnlyList<string> FailedTests)
    {
        public static TapSummary Parse(string tap)
        {
            int Count(string name)
            {
                Match match = Regex.Match(tap, $@"^# {name} (\d+)\s*$", RegexOptions.Multiline);
                return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
            }
            var failed = NotOk().Matches(tap).Select(m => m.Groups["name"].Value.Trim()).ToList();
            return new TapSummary(Count("pass"), Count("fail"), Count("cancelled"), failed);
        }

        public override string ToString() => $"pass {Passed}, fail {Failed}, cancelled {Cancelled} (-1: counter missing)";

        [GeneratedRegex(@"^\s*not ok \d+ - (?<name>.*)$", RegexOptions.Multiline)]
        private static partial Regex NotOk();
    }
}

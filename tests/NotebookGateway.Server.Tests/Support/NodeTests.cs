using System.ComponentModel;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace NotebookGateway.Server.Tests.Support;

/// <summary>
/// Runs <c>node --test</c> files of <c>tests/js</c> against a gateway and asserts on node's TAP report: every test
/// passed, none was cancelled, and at least the expected number ran (so a file that silently runs nothing fails).
/// </summary>
public static partial class NodeTests
{
    public const string SetupHint = "run bash scripts/setup.sh (it installs Node.js packages with npm ci --prefix tests/js)";

    /// <summary>Fails with an install hint unless node runs and every package.json (paths relative to the repository) exists.</summary>
    public static async Task RequireAsync(string setupHint, params string[] packageJsonFiles)
    {
        ProcessRun version;
        try
        {
            version = await ExternalProcess.RunAsync("node", ["--version"], RepositoryPaths.Root, null, TestTimeouts.Reply, setupHint);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is Win32Exception)
        {
            Assert.Fail($"node is not on PATH: {setupHint}");
            return;
        }
        Assert.True(version.ExitCode == 0 && version.Output.StartsWith('v'), $"node --version failed: {version.Output}");
        foreach (string file in packageJsonFiles)
        {
            string path = Path.Combine(RepositoryPaths.Root, file);
            Assert.True(File.Exists(path), $"{path} is missing: {setupHint}");
        }
    }

    /// <summary>Runs the test files with <paramref name="environment"/> and asserts that at least <paramref name="minimumPassed"/> passed and none failed.</summary>
    public static async Task RunAsync(ITestOutputHelper output, IReadOnlyList<string> scripts, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, int minimumPassed, string setupHint = SetupHint)
    {
        var env = new Dictionary<string, string>(environment) { ["NODE_OPTIONS"] = "" };
        ProcessRun run = await ExternalProcess.RunAsync("node", ["--test", "--test-reporter=tap", .. scripts], RepositoryPaths.Root, env, timeout, setupHint);
        output.WriteLine(run.Output);

        Assert.False(run.TimedOut, $"node --test did not finish within {timeout.TotalMinutes:0} min:\n{run.Output}");
        TapSummary summary = TapSummary.Parse(run.Output);
        Assert.True(run.ExitCode == 0 && summary.Failed == 0 && summary.Cancelled == 0 && summary.Passed >= minimumPassed,
            $"node --test exited with {run.ExitCode}: {summary} (expected at least {minimumPassed} passed)\nfailed: {string.Join("\n  ", summary.FailedTests)}\n\n{run.Output}");
    }

    /// <summary>The closing counters of node's TAP reporter (<c># pass N</c>, <c># fail N</c>, ...) and the failing tests.</summary>
    public sealed partial record TapSummary(int Passed, int Failed, int Cancelled, IReadOnlyList<string> FailedTests)
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

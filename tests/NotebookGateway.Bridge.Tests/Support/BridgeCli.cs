using System.Diagnostics;
using System.Text;
using NotebookGateway.Testing;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>A finished process: exit code and everything it printed (stdout and stderr, by line).</summary>
public sealed record ProcessRun(int ExitCode, string Output, string Stdout, string Stderr);

/// <summary>Runs the bridge under test (this project's build of it) and other commands to completion, bounded in time.</summary>
internal static class BridgeCli
{
    /// <summary>The bridge's dll in this test project's output: the build under test.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "NotebookGateway.Bridge.dll");

    public static Task<ProcessRun> RunAsync(BridgeEnvironment environment, IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        RunProcessAsync("dotnet", [Dll, .. arguments], environment, environment.WorkDirectory, timeout);

    public static async Task<ProcessRun> RunProcessAsync(string file, IEnumerable<string> arguments, BridgeEnvironment? environment, string workingDirectory,
        TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        ProcessStartInfo start = ProcessStarts.Redirected(file, arguments, workingDirectory);
        environment?.Apply(start);
        foreach ((string name, string value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value; // after the bridge environment: these win
        }
        using var process = new Process { StartInfo = start };
        var all = new StringBuilder();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (all)
                {
                    all.Append(e.Data).Append('\n');
                    stdout.Append(e.Data).Append('\n');
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (all)
                {
                    all.Append(e.Data).Append('\n');
                    stderr.Append(e.Data).Append('\n');
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        TimeSpan limit = timeout ?? Timeouts.ToolRun;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            lock (all)
            {
                Assert.Fail($"{file} {string.Join(' ', arguments)}: still running after {limit.TotalSeconds:0} s\n{all}");
            }
        }
        process.WaitForExit(); // drains the output
        lock (all)
        {
            return new ProcessRun(process.ExitCode, all.ToString(), stdout.ToString(), stderr.ToString());
        }
    }
}

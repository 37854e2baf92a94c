using System.Diagnostics;

namespace NotebookGateway.Bridge.Tests.Support;

/// <summary>The real Jupyter tools from Debian the tests drive; a missing one fails the test with what to install.</summary>
internal static class Tools
{
    /// <summary>Debian's Python, whose python3-* packages are the tools under test (another python3 may come first on PATH).</summary>
    public const string Python = "/usr/bin/python3";

    public const string Hint = "run bash scripts/setup.sh (Debian packages jupyter-client jupyter-console jupyter-nbconvert python3-nbclient python3-jupyter-kernel-test jupyter-notebook tmux)";

    /// <summary>Fails unless <c>/usr/bin/python3</c> can import <paramref name="module"/> (from Debian <paramref name="package"/>).</summary>
    public static void RequirePythonModule(string module, string package)
    {
        if (!File.Exists(Python))
        {
            Assert.Fail($"{Python} is missing: apt-get install python3 ({Hint}).");
        }
        using var process = Process.Start(new ProcessStartInfo(Python)
        {
            ArgumentList = { "-c", $"import {module}" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Assert.Fail($"The Python module {module} is missing: apt-get install {package} ({Hint}).\n{error}");
        }
    }

    /// <summary>Fails unless <paramref name="command"/> is on PATH (from Debian <paramref name="package"/>).</summary>
    public static string RequireCommand(string command, string package)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        Assert.Fail($"{command} is not installed: apt-get install {package} ({Hint}).");
        return command;
    }
}

using System.ComponentModel;
using System.Diagnostics;

namespace NotebookGateway.Server.Tests.Metrics;

/// <summary>Runs <c>promtool check metrics</c> (Debian package <c>prometheus</c>) on an exposition text.</summary>
public static class Promtool
{
    public const string InstallHint = "promtool is missing: install the Debian package prometheus (scripts/setup.sh does: apt-get install prometheus).";

    /// <summary>Fails the test with promtool's complaints, or with <see cref="InstallHint"/> when it is not installed.</summary>
    public static async Task AssertValidAsync(string exposition)
    {
        var start = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            Assert.Fail($"{InstallHint} ({ex.Message})");
        }
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        string complaints = (await stdout) + (await stderr);
        Assert.True(process.ExitCode == 0 && complaints.Trim().Length == 0,
            $"promtool check metrics exited with {process.ExitCode}:\n{complaints}\n--- input ---\n{exposition}");
    }
}

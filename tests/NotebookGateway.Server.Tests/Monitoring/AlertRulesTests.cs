using System.Diagnostics;
using NotebookGateway.Testing;

namespace NotebookGateway.Server.Tests.Monitoring;

/// <summary>
/// deploy/prometheus/alerts.yml, checked by Prometheus's own tool: the rules parse, and the recorded series in
/// alerts.test.yml raise exactly the alerts they should. Also: every metric the rules name is one the gateway exports.
/// </summary>
public sealed class AlertRulesTests
{
    private static readonly string Directory = Path.Combine(RepositoryPaths.Root, "deploy", "prometheus");

    [Fact]
    public async Task PromtoolAcceptsTheRules()
    {
        (int exit, string output) = await PromtoolAsync("check", "rules", "alerts.yml");
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromtoolRuleTestsPass()
    {
        (int exit, string output) = await PromtoolAsync("test", "rules", "alerts.test.yml");
        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sandbox_security_signals_by_user", "src/NotebookGateway.Server/Monitoring/SignalMetrics.cs")]
    [InlineData("sandbox_syscall_signals_available", "src/NotebookGateway.Server/Monitoring/SignalMetrics.cs")]
    [InlineData("sandbox_syscall_records_lost", "src/NotebookGateway.Server/Monitoring/SignalMetrics.cs")]
    [InlineData("audit_records_dropped", "src/NotebookGateway.Server/Audit/AuditLog.cs")]
    [InlineData("quota_rejections", "src/NotebookGateway.Server/Quotas/KernelQuotas.cs")]
    public void EveryMetricTheRulesUse_IsCreatedByTheGateway(string instrument, string source)
    {
        Assert.Contains(instrument, File.ReadAllText(Path.Combine(Directory, "alerts.yml")), StringComparison.Ordinal);
        Assert.Contains($"\"{instrument}\"", File.ReadAllText(Path.Combine(RepositoryPaths.Root, source)), StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("promtool is missing: install Debian's `prometheus` package (scripts/setup.sh does).", ex);
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}

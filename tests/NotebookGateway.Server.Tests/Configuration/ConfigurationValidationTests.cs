using System.Diagnostics;

namespace NotebookGateway.Server.Tests.Configuration;

/// <summary>A bad gateway.json (or environment override) stops the gateway at start with every error listed.</summary>
public sealed class ConfigurationValidationTests
{
    [Fact]
    public async Task Start_InvalidSettingsInSeveralSections_ExitsWithEveryErrorListed()
    {
        (int exitCode, string errors) = await RunGatewayAsync(new Dictionary<string, string>
        {
            ["NBGW_Gateway__Listen"] = "not-an-address",
            ["NBGW_Gateway__BaseUrl"] = "no-slashes",
            ["NBGW_Channels__OutputBytesPerCell"] = "0",
            ["NBGW_Sandbox__LaunchTimeoutSeconds"] = "-1",
            ["NBGW_Hub__AllowOrigins__0"] = "*",
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("Gateway:Listen 'not-an-address'", errors, StringComparison.Ordinal);
        Assert.Contains("Gateway:BaseUrl 'no-slashes'", errors, StringComparison.Ordinal);
        Assert.Contains("Channels:OutputBytesPerCell", errors, StringComparison.Ordinal);
        Assert.Contains("Sandbox:LaunchTimeoutSeconds", errors, StringComparison.Ordinal);
        Assert.Contains("Hub:AllowOrigins:0 '*' is not allowed", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ValueOfTheWrongType_ExitsWithTheSettingNamed()
    {
        (int exitCode, string errors) = await RunGatewayAsync(new Dictionary<string, string> { ["NBGW_Channels__OutputBytesPerCell"] = "lots" });

        Assert.Equal(2, exitCode);
        Assert.Contains("Channels:OutputBytesPerCell", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public async Task Start_InvalidLimitsAndAccessRules_ExitsWithEachSettingNamed()
    {
        (int exitCode, string errors) = await RunGatewayAsync(new Dictionary<string, string>
        {
            ["NBGW_RateLimits__ExecuteRequestsPerMinute"] = "-1",
            ["NBGW_RateLimits__Users__alice__KernelStartsPerMinute"] = "-5",
            ["NBGW_Quotas__Default__MaxWorkspaceMiB"] = "-1",
            ["NBGW_KernelSpecAccess__Groups__staff__Deny__0"] = " ",
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("RateLimits:ExecuteRequestsPerMinute", errors, StringComparison.Ordinal);
        Assert.Contains("RateLimits:Users:alice:KernelStartsPerMinute", errors, StringComparison.Ordinal);
        Assert.Contains("Quotas:Default limits", errors, StringComparison.Ordinal);
        Assert.Contains("KernelSpecAccess:Groups:staff", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InvalidAdmissionRules_ExitsWithEachRuleNamed()
    {
        (int exitCode, string errors) = await RunGatewayAsync(new Dictionary<string, string>
        {
            ["NBGW_Admission__MaxCodeBytes"] = "-1",
            ["NBGW_Admission__DenyRules__0__Name"] = "no_socket",
            ["NBGW_Admission__DenyRules__0__Pattern"] = "(import socket",
            ["NBGW_Admission__DenyRules__0__Message"] = "no sockets",
            ["NBGW_Admission__DenyRules__1__Name"] = "no_socket",
            ["NBGW_Admission__DenyRules__1__Pattern"] = "socket",
            ["NBGW_Admission__DenyRules__1__Message"] = "twice",
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("Admission:MaxCodeBytes must be 0 (no limit) or positive", errors, StringComparison.Ordinal);
        Assert.Contains("Admission:DenyRules:0:Pattern is not a valid regular expression", errors, StringComparison.Ordinal);
        Assert.Contains("Admission:DenyRules:1:Name 'no_socket' is used twice", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal); // no stack trace
    }

    private static async Task<(int ExitCode, string Errors)> RunGatewayAsync(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepositoryPaths.GatewayDll);
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The gateway did not exit on an invalid configuration:\n" + await stdout);
        }
        return (process.ExitCode, await stderr + await stdout);
    }
}

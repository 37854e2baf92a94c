using Microsoft.Extensions.Configuration;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Execution;
using NotebookGateway.Server.Logging;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Tests.Execution;

/// <summary>The Execution, Audit and Logging settings: validation, per-user output caps, and the wiring into start-up validation.</summary>
public sealed class ExecutionOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValid()
    {
        Assert.Empty(new ExecutionOptions().Validate());
        Assert.Empty(new AuditOptions().Validate());
        Assert.Empty(ConsoleLogging.Validate(new ConfigurationBuilder().Build()));
    }

    [Fact]
    public void Validate_BadValues_EveryErrorNamesItsSetting()
    {
        var options = new ExecutionOptions
        {
            WallClockSecondsPerCell = -1,
            InterruptGraceSeconds = 0,
            CpuSecondsPerWindow = 5,
            CpuWindowSeconds = 2,
            CpuSampleSeconds = 3,
            Users = { ["alice"] = new UserOutputLimits { OutputBytesPerCell = 0 } },
        };

        IReadOnlyList<string> errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("Execution:WallClockSecondsPerCell", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Execution:InterruptGraceSeconds", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Execution:CpuSampleSeconds (3) must be shorter", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Execution:Users:alice", StringComparison.Ordinal));
        Assert.Contains(new AuditOptions { Path = "/nonexistent-dir/audit.jsonl" }.Validate(), e => e.Contains("does not exist", StringComparison.Ordinal));
        IConfiguration yaml = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ConsoleLogging.FormatKey] = "yaml" }).Build();
        Assert.Single(ConsoleLogging.Validate(yaml));
    }

    [Fact]
    public void ChannelOptionsFor_UserWithOverrides_GetsThemAndKeepsTheOtherDefaults()
    {
        var defaults = new ChannelOptions { OutputBytesPerCell = 1000, IOPubMessagesPerSecond = 10, IOPubBytesPerSecond = 100, OfflineBufferMessages = 7 };
        var options = new ExecutionOptions { Users = { ["alice"] = new UserOutputLimits { OutputBytesPerCell = 50, IOPubBytesPerSecond = 20 } } };

        ChannelOptions alice = options.ChannelOptionsFor("alice", defaults);

        Assert.Same(defaults, options.ChannelOptionsFor("bob", defaults));
        Assert.Equal((50L, 10, 20L, 7), (alice.OutputBytesPerCell, alice.IOPubMessagesPerSecond, alice.IOPubBytesPerSecond, alice.OfflineBufferMessages));
    }

    [Fact]
    public async Task Start_BadExecutionAuditAndLoggingSettings_RefusedWithEveryErrorListed()
    {
        GatewayStartException refused = await Assert.ThrowsAsync<GatewayStartException>(() => GatewayProcess.StartAsync(new Dictionary<string, string>
        {
            ["Execution:InterruptGraceSeconds"] = "0",
            ["Audit:QueueCapacity"] = "0",
            ["Logging:Format"] = "xml",
        }));

        Assert.Contains("exited with code 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Execution:InterruptGraceSeconds", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Audit:QueueCapacity", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Logging:Format", refused.Message, StringComparison.Ordinal);
    }
}

using Microsoft.Extensions.Options;
using NotebookGateway.Kernels.Lifecycle;
using NotebookGateway.Kernels.Security;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Monitoring;
using NotebookGateway.Server.Relay;

namespace NotebookGateway.Server.Execution;

/// <summary>What every kernel's <see cref="ExecutionMonitor"/> shares: settings, clock, metrics, audit log, security events.</summary>
public sealed class ExecutionServices(
    IOptions<ExecutionOptions> options, TimeProvider time, ExecutionMetrics metrics, AuditLog audit, ILogger<ExecutionMonitor> logger,
    SecurityEvents? securityEvents = null, SecurityTimeline? timeline = null)
{
    public ExecutionOptions Options { get; } = options.Value;

    public TimeProvider Time { get; } = time;

    public ExecutionMetrics Metrics { get; } = metrics;

    public AuditLog Audit { get; } = audit;

    public ILogger Logger { get; } = logger;

    public SecurityEvents? SecurityEvents { get; } = securityEvents;

    /// <summary>Where limits hit become behaviour signals (none in unit tests that do not ask).</summary>
    public SecurityTimeline? Timeline { get; } = timeline;

    /// <summary>The streaming-path limits of <paramref name="user"/>'s kernels.</summary>
    public ChannelOptions ChannelOptionsFor(string user, ChannelOptions defaults) => Options.ChannelOptionsFor(user, defaults);

    /// <summary>
    /// A monitor for a new kernel of <paramref name="owner"/>, relayed by <paramref name="channels"/>;
    /// <paramref name="interrupt"/> and <paramref name="restart"/> act on that kernel (the registry above knows how).
    /// </summary>
    public ExecutionMonitor CreateMonitor(SandboxKernel sandbox, string owner, KernelChannels channels, Func<Task> interrupt, Func<Task> restart)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        return new(new ExecutionTarget(sandbox.Id, owner, sandbox.Spec.Name, sandbox.Usage, channels, sandbox.Envelope.CellTimeoutSeconds),
            Options, this, interrupt, restart);
    }
}

public static class ExecutionServiceCollectionExtensions
{
    /// <summary>Execution limits, their metrics and the audit log (options of sections <c>Execution</c> and <c>Audit</c>, bound by the host).</summary>
    public static IServiceCollection AddExecutionLimits(this IServiceCollection services)
    {
        services.AddSingleton<ExecutionMetrics>();
        services.AddSingleton<AuditLog>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<ExecutionServices>();
        return services;
    }
}

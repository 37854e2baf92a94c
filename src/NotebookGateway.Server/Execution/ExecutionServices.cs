using Microsoft.Extensions.Options;
using NotebookGateway.Server.Audit;
using NotebookGateway.Server.Channels;
using NotebookGateway.Server.Kernels;

namespace NotebookGateway.Server.Execution;

/// <summary>What every kernel's <see cref="ExecutionMonitor"/> shares: settings, clock, metrics, audit log.</summary>
public sealed class ExecutionServices(
    IOptions<ExecutionOptions> options, TimeProvider time, ExecutionMetrics metrics, AuditLog audit, ILogger<ExecutionMonitor> logger)
{
    public ExecutionOptions Options { get; } = options.Value;

    public TimeProvider Time { get; } = time;

    public ExecutionMetrics Metrics { get; } = metrics;

    public AuditLog Audit { get; } = audit;

    public ILogger Logger { get; } = logger;

    /// <summary>The streaming-path limits of <paramref name="user"/>'s kernels.</summary>
    public ChannelOptions ChannelOptionsFor(string user, ChannelOptions defaults) => Options.ChannelOptionsFor(user, defaults);

    /// <summary>A monitor for a new kernel; <paramref name="interrupt"/> and <paramref name="restart"/> act on that kernel.</summary>
    public ExecutionMonitor CreateMonitor(GatewayKernel kernel, Func<Task> interrupt, Func<Task> restart) =>
        new(new ExecutionTarget(kernel.Id, kernel.Owner, kernel.Sandbox.Spec.Name, kernel.Sandbox.Usage, kernel.Channels,
            kernel.Sandbox.Envelope.CellTimeoutSeconds), Options, this, interrupt, restart);
}

public static class ExecutionServiceCollectionExtensions
{
    /// <summary>Execution limits, their metrics and the audit log (sections <c>Execution</c> and <c>Audit</c>).</summary>
    public static IServiceCollection AddExecutionLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ExecutionOptions>().Bind(configuration.GetSection(ExecutionOptions.Section));
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.Section));
        services.AddSingleton<ExecutionMetrics>();
        services.AddSingleton<AuditLog>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<ExecutionServices>();
        return services;
    }
}
